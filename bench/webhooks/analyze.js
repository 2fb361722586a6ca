// Summarises one phase of bench/webhooks/run.sh from the receiver's log.
//
//   node analyze.js RECEIVER_LOG IDS_FILE FROM_MS TO_MS [UP_MS]
//
// IDS_FILE lists the links the load generator created in the phase (one link.created event each); only
// deliveries of those links' events count. FROM_MS..TO_MS is the generation window (wall clock, ms). UP_MS, for
// the outage phase, is when the receiver came back. Prints one JSON object:
//   generated    links created (= events) in the phase
//   delivered    distinct webhook-ids of those events answered 200
//   requests     every request for those events (including 503s while down in 503 mode)
//   duplicates   200-answered requests beyond the first per webhook-id (at-least-once redeliveries)
//   in_window    events first received inside FROM..TO; in_window_rate = in_window / window seconds
//   lag_*_ms     first 200 receipt minus the event's `timestamp` (p50, p90, p99, max)
//   drain_s      last first-receipt minus TO (or minus UP_MS when given): how long the backlog took to clear
//   after_rate   deliveries per second between TO (or UP_MS) and the last delivery
//   first_after_up_s  first receipt after UP_MS minus UP_MS
//   timeline     with UP_MS: events delivered within 10 s, 60 s, 300 s, 310 s, 600 s of the receiver's return
'use strict';
const fs = require('fs');
const readline = require('readline');

const [logFile, idsFile, fromArg, toArg, upArg] = process.argv.slice(2);
const from = Number(fromArg), to = Number(toArg), up = upArg ? Number(upArg) : null;
const links = new Set(fs.readFileSync(idsFile, 'utf8').split('\n').filter(Boolean));

(async () => {
  const first = new Map(); // webhook-id -> {recv, lag}
  let requests = 0, duplicates = 0, lastRecv = 0, firstAfterUp = Infinity;
  const rl = readline.createInterface({ input: fs.createReadStream(logFile), crlfDelay: Infinity });
  for await (const line of rl) {
    const [recvS, id, eventS, link, status] = line.split('\t');
    if (!links.has(link)) continue;
    requests++;
    if (status !== '200') continue;
    const recv = Number(recvS);
    if (first.has(id)) { duplicates++; continue; }
    first.set(id, { recv, lag: recv - Number(eventS) });
    if (recv > lastRecv) lastRecv = recv;
    if (up !== null && recv >= up && recv < firstAfterUp) firstAfterUp = recv;
  }
  const lags = [...first.values()].map(v => v.lag).sort((a, b) => a - b);
  const pct = p => lags.length ? +lags[Math.min(lags.length - 1, Math.floor(lags.length * p))].toFixed(1) : null;
  const inWindow = [...first.values()].filter(v => v.recv >= from && v.recv <= to).length;
  const out = {
    generated: links.size, delivered: first.size, requests, duplicates,
    in_window: inWindow, in_window_rate: +(inWindow / ((to - from) / 1000)).toFixed(1),
    lag_p50_ms: pct(0.5), lag_p90_ms: pct(0.9), lag_p99_ms: pct(0.99), lag_max_ms: pct(1),
    drain_s: first.size ? +((lastRecv - (up ?? to)) / 1000).toFixed(1) : null,
  };
  // deliveries per second from TO (or UP_MS) to the last delivery: the dispatcher's pace with no receiver errors
  const after = [...first.values()].filter(v => v.recv > (up ?? to)).length;
  out.after_rate = out.drain_s > 0 ? +(after / out.drain_s).toFixed(1) : null;
  if (up !== null) {
    out.first_after_up_s = Number.isFinite(firstAfterUp) ? +((firstAfterUp - up) / 1000).toFixed(1) : null;
    out.timeline = {};
    for (const s of [10, 60, 300, 310, 600]) out.timeline[s] = [...first.values()].filter(v => v.recv <= up + s * 1000).length;
  }
  console.log(JSON.stringify(out));
})();
