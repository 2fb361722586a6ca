// Verifies one captured webhook delivery with the official standardwebhooks library.
// Usage: node verify.mjs <secret whsec_...> <capture.json>
// capture.json: {"headers": {"webhook-id": "...", ...}, "body": "<exact body as received>"}
// Exit code 0 and "verified" on stdout when the signature checks; 1 with the library's message otherwise.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
// The library lives in the ignored folder install.sh fills; WEBHOOKS_VERIFIER_DIR may point elsewhere.
const installDir = process.env.WEBHOOKS_VERIFIER_DIR ?? path.join(root, '.tmp', 'webhooks-verifier');
const require = createRequire(path.join(installDir, 'package.json'));
const { Webhook } = require('standardwebhooks');

const [secret, capturePath] = process.argv.slice(2);
if (!secret || !capturePath) {
  console.error('usage: node verify.mjs <whsec_secret> <capture.json>');
  process.exit(2);
}
const capture = JSON.parse(readFileSync(capturePath, 'utf8'));
try {
  const payload = new Webhook(secret).verify(capture.body, capture.headers);
  console.log('verified ' + JSON.stringify({ type: payload.type }));
} catch (e) {
  console.error('not verified: ' + (e && e.message));
  process.exit(1);
}
