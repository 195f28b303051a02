/**
 * Instructions per call, counted by valgrind's callgrind:
 * `npm run bench:instructions [-- --warmup 10000 --requests 2000 --connections 16 --paths proxy,floor,relay] [--keep dir]`.
 *
 * Wall-clock and CPU-time figures on a shared 2-vCPU VM move by tens of percent from one minute
 * to the next (see docs/benchmarks.md), which drowns a change worth a few percent. Instruction
 * counts do not follow the machine's load, but they are not fixed either: V8's JIT state after
 * the warm-up differs from one process to the next (which functions got optimized, which
 * runtime slow paths stay in use), so counts of the same build fall into two or three levels
 * a few percent apart. Run each build at least twice and compare the lowest counts. Valgrind
 * also emulates the CPU without its SHA extensions, so hashing (the API key's SHA-256, HMAC)
 * counts about ten times what it costs on the real machine. This is the tool for deciding
 * whether a change to the hot path helps; `bench:gateway` stays the measure of throughput.
 *
 * Each path's server runs alone in a child process under callgrind; the Odoo test server and
 * the load generator run outside valgrind and are not counted. After a warm-up that lets V8
 * optimize, counting is switched on for a fixed number of requests, and the total is divided
 * by them. What is counted is the main thread's work, less its background work at rest; not
 * V8's helper threads (compilers, concurrent GC) or the request log's writer thread, nor the
 * kernel's work (socket reads and writes), which is much the same for every path.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { parseArgs } from 'node:util';
import { runLoad } from './lib/load.js';
import { startOdooProcess, type Path } from './lib/paths.js';

const { values } = parseArgs({
  options: {
    warmup: { type: 'string', default: '10000' },
    requests: { type: 'string', default: '2000' },
    connections: { type: 'string', default: '16' },
    paths: { type: 'string', default: 'proxy,floor,relay' },
    // Seconds of rest counted before the load, to measure the server's background work.
    idle: { type: 'string', default: '10' },
    // Keep callgrind's dumps in this folder, for callgrind_annotate.
    keep: { type: 'string' },
    // Extra Node.js options for the servers, e.g. --perf-basic-prof to name JIT code in the dumps.
    'node-args': { type: 'string', default: '' },
  },
});
const warmup = Number(values.warmup);
const requests = Number(values.requests);
const connections = Number(values.connections);
const idleSeconds = Number(values.idle);
const names = values.paths.split(',');

try {
  execFileSync('valgrind', ['--version'], { stdio: 'ignore' });
} catch {
  console.error('bench:instructions needs valgrind (apt-get install valgrind)');
  process.exit(2);
}

const odoo = await startOdooProcess();
process.once('exit', () => odoo.child.kill());
const outDir = values.keep ?? fs.mkdtempSync(path.join(os.tmpdir(), 'relay-instructions-'));
fs.mkdirSync(outDir, { recursive: true });

/** Starts one path's server under callgrind with counting off, and reads the path it serves. */
async function startCounted(name: string): Promise<{ child: ChildProcess; path: Path }> {
  const child = spawn(
    'valgrind',
    [
      '--tool=callgrind',
      '--instr-atstart=no',
      // One dump file per thread: the main thread's is what is counted.
      '--separate-threads=yes',
      `--callgrind-out-file=${outDir}/${name}.%p`,
      process.execPath,
      ...values['node-args'].split(' ').filter(Boolean),
      '--import',
      'tsx',
      'bench/lib/serve-path.ts',
      name,
      odoo.url,
      odoo.apiKey,
      String(connections),
    ],
    { cwd: path.resolve(import.meta.dirname, '..'), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const lines = readline.createInterface({ input: child.stdout! });
  for await (const line of lines) {
    if (line.startsWith('{')) return { child, path: JSON.parse(line) as Path };
  }
  throw new Error(`${name} did not start under valgrind:\n${stderr.slice(-2000)}`);
}

/** The main thread's instruction total in a callgrind dump (the nth of the process). */
function readTotal(name: string, pid: number, dump: number): number {
  const text = fs.readFileSync(path.join(outDir, `${name}.${pid}.${dump}-01`), 'utf8');
  return Number(/^totals: (\d+)/m.exec(text)?.[1] ?? NaN);
}

const rows: { name: string; perCall: number; background: number; errors: number }[] = [];
for (const name of names) {
  const { child, path: p } = await startCounted(name);
  const load = (n: number) => runLoad({ origin: p.origin, path: p.pathname, headers: p.headers, body: p.body, seconds: 3600, requests: n, connections, expectStatus: 200 });
  const warm = await load(warmup);
  execFileSync('callgrind_control', ['--instr=on', String(child.pid)], { stdio: 'ignore' });
  // First the server's own background work at rest (the relay's delivery worker looks for
  // work four times a second, for instance), then the load; the background share is taken
  // out of the loaded count in proportion to time. Under valgrind a call lasts ~50 times
  // longer than natively, so background work would otherwise weigh ~50 times more per call.
  let started = performance.now();
  await new Promise((r) => setTimeout(r, idleSeconds * 1000));
  const idleMs = performance.now() - started;
  execFileSync('callgrind_control', ['--dump=idle', String(child.pid)], { stdio: 'ignore' });
  started = performance.now();
  const measured = await load(requests);
  const busyMs = performance.now() - started;
  execFileSync('callgrind_control', ['--dump=load', String(child.pid)], { stdio: 'ignore' });
  const background = (readTotal(name, child.pid!, 1) * busyMs) / idleMs;
  const loaded = readTotal(name, child.pid!, 2);
  rows.push({ name, perCall: (loaded - background) / measured.requests, background: background / loaded, errors: warm.errors + measured.errors });
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
}
if (!values.keep) fs.rmSync(outDir, { recursive: true, force: true });

const base = rows.find((r) => r.name === 'proxy');
console.log(`\nbench:instructions — ${requests} counted requests after ${warmup} warm-up, ${connections} connections, Node ${process.version}`);
console.log(`path     instructions/call   ×proxy   background share   errors`);
for (const r of rows) {
  const ratio = base ? (r.perCall / base.perCall).toFixed(2) : '—';
  const background = `${(r.background * 100).toFixed(1)} %`;
  console.log(`${r.name.padEnd(6)} ${`${(r.perCall / 1000).toFixed(1)}k`.padStart(19)}   ${ratio.padStart(6)}   ${background.padStart(16)}   ${String(r.errors).padStart(6)}`);
}
process.exit(0);
