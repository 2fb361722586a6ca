// Webhook receiver for bench/webhooks/run.sh: answers every POST at once and logs one line per request.
//
//   node receiver.js PORT CONTROL_PORT LOG_FILE
//
// Each request on PORT is logged (tab-separated) to LOG_FILE:
//   receive_ms  webhook-id  event_ms  link_id  status
// receive_ms is this process's wall clock (ms, fractional), event_ms the event's `timestamp` from the body (ms),
// link_id `data.link_id`, status what we answered (200, or 503 while down in 503 mode).
// The signature is not verified: the point is the service's delivery path, and verifying would cost this
// process CPU the service shares.
//
// Control on CONTROL_PORT (plain HTTP, loopback):
//   POST /down?mode=refuse   stop listening and drop open connections: the service gets ECONNREFUSED (default)
//   POST /down?mode=503      keep listening, answer 503 to every delivery
//   POST /up                 listen again, answer 200
//   GET  /stats              {"requests":N,"unique":M,"state":"up"}
'use strict';
const http = require('http');
const fs = require('fs');

const port = Number(process.argv[2]);
const controlPort = Number(process.argv[3]);
const out = fs.createWriteStream(process.argv[4], { flags: 'a', highWaterMark: 1 << 20 });
const origin = performance.timeOrigin;

let state = 'up'; // up | refuse | 503
let requests = 0;
const seen = new Set();
const sockets = new Set();

function parseEventMs(body) {
  const m = /"timestamp":"([^"]+)"/.exec(body);
  return m ? Date.parse(m[1]) : NaN;
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', c => chunks.push(c));
  req.on('end', () => {
    const now = origin + performance.now();
    const status = state === '503' ? 503 : 200;
    res.writeHead(status, { 'content-length': '0' });
    res.end();
    const body = Buffer.concat(chunks).toString('utf8');
    const id = req.headers['webhook-id'] || '';
    const link = (/"link_id":"([^"]+)"/.exec(body) || [])[1] || '';
    requests++;
    if (status === 200) seen.add(id);
    out.write(`${now.toFixed(3)}\t${id}\t${parseEventMs(body)}\t${link}\t${status}\n`);
  });
});
server.keepAliveTimeout = 120000;
server.on('connection', s => { sockets.add(s); s.on('close', () => sockets.delete(s)); });

// Listening again after an outage can meet EADDRINUSE for a moment (a socket still holding the port); retry for 10 s.
function listen(cb, tries = 50) {
  const onError = e => {
    if (e.code !== 'EADDRINUSE' || tries <= 0) throw e;
    console.error(`listen: ${e.code}, retrying`);
    setTimeout(() => listen(cb, tries - 1), 200);
  };
  server.once('error', onError);
  server.listen(port, '127.0.0.1', () => { server.removeListener('error', onError); cb(); });
}

const control = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  const reply = (o) => { res.writeHead(200, { 'content-type': 'application/json' }); res.end(JSON.stringify(o)); };
  if (req.method === 'POST' && url.pathname === '/down') {
    const mode = url.searchParams.get('mode') === '503' ? '503' : 'refuse';
    if (mode === 'refuse' && state !== 'refuse') {
      server.close();
      for (const s of sockets) s.destroy();
    }
    state = mode;
    return reply({ state });
  }
  if (req.method === 'POST' && url.pathname === '/up') {
    if (state === 'refuse') { state = 'up'; return listen(() => reply({ state })); }
    state = 'up';
    return reply({ state });
  }
  if (url.pathname === '/stats') return reply({ requests, unique: seen.size, state });
  res.writeHead(404); res.end();
});

listen(() => control.listen(controlPort, '127.0.0.1', () => console.log(`receiver on ${port}, control on ${controlPort}`)));
const flush = () => out.end(() => process.exit(0));
process.on('SIGTERM', flush);
process.on('SIGINT', flush);
