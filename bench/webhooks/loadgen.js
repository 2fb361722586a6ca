// Open-loop paced load for bench/webhooks/run.sh: POST /v1/links at a fixed rate, whatever the service's latency.
//
//   node loadgen.js URL AUTHORIZATION RATE SECONDS IDS_FILE [MAX_IN_FLIGHT]
//
// Every 2 ms it sends as many requests as the schedule (RATE × elapsed) says are due, on keep-alive connections
// (at most MAX_IN_FLIGHT, default 256, in flight; beyond that requests wait and the shortfall is reported as
// `late`). Unlike wrk's delay() pacing, a slow service does not lower the offered load.
// Writes the id of every created link to IDS_FILE, one per line, and prints one line:
//   RESULT {"sent":…,"created":…,"failed":…,"seconds":…,"rate":…,"p50_ms":…,"p99_ms":…,"max_ms":…,"late":…}
// latency is from sending a request to the end of its response.
'use strict';
const http = require('http');
const fs = require('fs');

const [url, auth, rateArg, secondsArg, idsFile, maxArg] = process.argv.slice(2);
const rate = Number(rateArg), seconds = Number(secondsArg), maxInFlight = Number(maxArg || 256);
const total = Math.round(rate * seconds);
const body = Buffer.from('{"connector":"postgres","owner":{"id":"cust_1"}}');
const target = new URL(url);
const agent = new http.Agent({ keepAlive: true, maxSockets: maxInFlight });
const ids = fs.createWriteStream(idsFile, { highWaterMark: 1 << 20 });

let sent = 0, done = 0, created = 0, failed = 0, inFlight = 0, late = 0;
const latencies = [];
const errors = {};
const start = performance.now();

function one() {
  sent++; inFlight++;
  const t0 = performance.now();
  const req = http.request({
    host: target.hostname, port: target.port, path: target.pathname, method: 'POST', agent,
    headers: { 'content-type': 'application/json', 'content-length': body.length, authorization: auth },
  }, res => {
    const chunks = [];
    res.on('data', c => chunks.push(c));
    res.on('end', () => {
      latencies.push(performance.now() - t0);
      if (res.statusCode === 201) {
        created++;
        const m = /"id":"(lnk_[^"]+)"/.exec(Buffer.concat(chunks).toString());
        if (m) ids.write(m[1] + '\n');
      } else { failed++; errors['HTTP ' + res.statusCode] = (errors['HTTP ' + res.statusCode] || 0) + 1; }
      finish();
    });
  });
  req.on('error', e => { failed++; errors[e.code || e.message] = (errors[e.code || e.message] || 0) + 1; finish(); });
  req.end(body);
}

function finish() {
  inFlight--; done++;
  if (done === total) report();
}

function report() {
  const secs = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = p => latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] : 0;
  const r = {
    sent, created, failed, seconds: +secs.toFixed(3),
    // created links per second: over the scheduled window, or over the actual run when the service fell behind
    rate: +(created / Math.max(seconds, secs - 1)).toFixed(1),
    p50_ms: +pct(0.5).toFixed(2), p99_ms: +pct(0.99).toFixed(2), max_ms: +(latencies.at(-1) || 0).toFixed(2), late, errors,
  };
  ids.end(() => { console.log('RESULT ' + JSON.stringify(r)); process.exit(0); });
}

const timer = setInterval(() => {
  const due = Math.min(total, Math.floor((performance.now() - start) / 1000 * rate));
  while (sent < due && inFlight < maxInFlight) one();
  if (sent < due) late = Math.max(late, due - sent);
  if (sent >= total) clearInterval(timer);
}, 2);
