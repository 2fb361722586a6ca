// A real OpenID Connect provider (oidc-provider) for the OAuth tests, on 127.0.0.1 only.
// Usage: node provider.mjs PORT   (started in the background by start.sh)
//
// Clients (secrets are test-only values, printed by start.sh into the tests' environment):
//   connectlinks-test      client_secret_basic, refresh tokens not rotated (the provider's default for confidential clients)
//   connectlinks-rotating  client_secret_basic, refresh tokens rotated on every use (like Xero, QuickBooks, Microsoft)
//   connectlinks-post      client_secret_post
// Every client accepts the callback of the in-process test host (http://localhost/connect/oauth/callback) and of a
// locally served instance; OIDC_REDIRECT_URIS (comma-separated) adds more.
import Provider from 'oidc-provider';

const port = Number(process.argv[2] || process.env.PORT || 54480);
const issuer = `http://127.0.0.1:${port}`;
const redirectUris = [
  'http://localhost/connect/oauth/callback',
  'http://127.0.0.1:5080/connect/oauth/callback',
  // The browser test serves the app on this fixed port (OAuthBrowserTests).
  'http://127.0.0.1:55495/connect/oauth/callback',
  ...(process.env.OIDC_REDIRECT_URIS || '').split(',').filter(Boolean),
];

const client = (id, secret, method) => ({
  client_id: id,
  client_secret: secret,
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  redirect_uris: redirectUris,
  token_endpoint_auth_method: method,
});

const accounts = new Map([['alice', { name: 'Alice Example', email: 'alice@example.test' }]]);

const provider = new Provider(issuer, {
  clients: [
    client('connectlinks-test', 'test-secret-0b6f1c2e9a4d', 'client_secret_basic'),
    client('connectlinks-rotating', 'rotating-secret-5e8a7d3c1f20', 'client_secret_basic'),
    client('connectlinks-post', 'post-secret-9c4e2a7b6d13', 'client_secret_post'),
  ],
  // devInteractions accepts any password for any login; an unknown login is still "signed in", so findAccount
  // answers for every id (alice has a name and an email).
  async findAccount(ctx, id) {
    const known = accounts.get(id) || { name: id, email: `${id}@example.test` };
    return { accountId: id, async claims() { return { sub: id, name: known.name, email: known.email }; } };
  },
  claims: { openid: ['sub'], email: ['email'], profile: ['name'] },
  scopes: ['openid', 'offline_access', 'email', 'profile'],
  features: {
    devInteractions: { enabled: true },
    revocation: { enabled: true },
    userinfo: { enabled: true },
  },
  pkce: { required: () => true },
  // Note: without offline_access (granted after prompt=consent) the provider silently issues no refresh token.
  async issueRefreshToken(ctx, c, code) {
    return c.grantTypeAllowed('refresh_token') && code.scopes.has('offline_access');
  },
  rotateRefreshToken: (ctx) => ctx.oidc.client.clientId === 'connectlinks-rotating',
  ttl: {
    AccessToken: 600,
    AuthorizationCode: 120,
    RefreshToken: 14 * 24 * 3600,
    Grant: 14 * 24 * 3600,
    Interaction: 3600,
    Session: 24 * 3600,
    IdToken: 3600,
  },
  cookies: { keys: ['connectlinks-test-cookie-key-1'] },
});

provider.listen(port, '127.0.0.1', () => {
  console.log(`oidc-provider listening on ${issuer}`);
});
