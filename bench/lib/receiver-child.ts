/**
 * A webhook receiver in its own process (so it does not share the relay's CPU): answers 200 at
 * once, counts requests, and on request reports `[record_id, arrival ms]` pairs over IPC.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const arrivals: [number, number][] = [];
let count = 0;
const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    count++;
    const at = Date.now();
    const m = /"record_id":(\d+)/.exec(Buffer.concat(chunks).toString('utf8'));
    if (m) arrivals.push([Number(m[1]), at]);
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('ok');
  });
});
server.keepAliveTimeout = 30_000;
server.listen(0, '127.0.0.1', () => {
  process.send!({ port: (server.address() as AddressInfo).port });
});
process.on('message', (msg: { cmd: string }) => {
  if (msg.cmd === 'count') process.send!({ count });
  if (msg.cmd === 'arrivals') process.send!({ arrivals: arrivals.splice(0) });
  if (msg.cmd === 'reset') {
    count = 0;
    arrivals.length = 0;
    process.send!({ reset: true });
  }
});
