/**
 * What the relay costs over a bare proxy:
 * `npm run bench:gateway [-- --seconds 5 --connections 16 --rounds 5 --warmup 3] [--floor] [--pairs 20 --window-ms 1000] [--profile|--heap-profile file [--profile-path proxy]]`.
 *
 * One run, same machine, same Odoo test server (Odoo 19, JSON-2, in a child process):
 *   direct  load generator → Odoo test server
 *   proxy   load generator → bare keep-alive pass-through proxy (node:http + undici) → Odoo
 *   relay   load generator → relay (API key + HMAC + rate limit + request log) → Odoo
 * The relay and the proxy live in this process and are loaded one at a time; the load
 * generator runs in a worker thread. Added latency is each path's p50/p99 minus the direct
 * path's, measured again with a single connection so that it is not queueing.
 *
 * Throughput is compared twice: in rounds of `--seconds` per path (the headline's median of
 * paired ratios), then in `--pairs` pairs of `--window-ms` windows alternating between proxy
 * and relay (bench/lib/alternate.ts), which puts both paths in the same slow spells of the VM.
 */
import fs from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { AlternatingLoad, abbaOrder } from './lib/alternate.js';
import { runLoad, type LoadResult } from './lib/load.js';
import { directPath, startBareProxy, startBenchRelay, startFastifyFloor, startOdooProcess, type Path } from './lib/paths.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    connections: { type: 'string', default: '16' },
    rounds: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '3' },
    // Writes a CPU profile of this process's main thread during one phase of one path, then stops (no table).
    profile: { type: 'string' },
    // Which path the profile covers: relay (default), proxy or floor (floor needs --floor).
    'profile-path': { type: 'string', default: 'relay' },
    // Like --profile, but V8's sampling heap profile: where the path's allocations come from.
    'heap-profile': { type: 'string' },
    // Adds a fourth path: Fastify forwarding the same action to Odoo with none of the relay's
    // features (no auth, HMAC, limits, validation, log, metrics): how much of the gap is features.
    floor: { type: 'boolean', default: false },
    // The alternating measurement: this many proxy/relay pairs of short windows (0 skips it).
    pairs: { type: 'string', default: '20' },
    'window-ms': { type: 'string', default: '1000' },
  },
});
const roundCount = Number(values.rounds);
const warmup = Number(values.warmup);
const seconds = Number(values.seconds);
const connections = Number(values.connections);

const odoo = await startOdooProcess();
// A crash or Ctrl-C must not leave the Odoo test server running (it would also hold our stdout open).
process.once('exit', () => odoo.child.kill());

/** CPU per request of each group of threads that shares the machine's cores during a phase. */
interface CpuBudget {
  /** The server under test: this process's main thread. */
  main: number;
  /** This process's other threads that outlive a phase: V8's GC and compiler helpers, the relay's request-log writer. */
  helpers: number;
  /** The load generator's worker thread (the process's CPU less the two above). */
  load: number;
  /** The Odoo test server, a child process. */
  odoo: number;
}

type Measured = LoadResult & { busyUsPerRequest: number; cpuUsPerRequest: number; cpu: CpuBudget };

/** utime + stime of a /proc stat file, in µs; NaN where there is no /proc. */
function statCpuUs(file: string): number {
  try {
    const fields = fs.readFileSync(file, 'utf8').split(') ')[1]!.split(' ');
    // utime and stime, in clock ticks (100 per second on Linux).
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return NaN;
  }
}

/**
 * CPU time of each of this process's threads now, by thread id, from Linux's per-thread
 * accounting (empty elsewhere). The main thread's id is the process id: its time is the proxy's
 * or the relay's own (not the load generator's worker thread) and, unlike the event loop's busy
 * time, does not count the time the thread waited for a core.
 */
function threadsCpuUs(): Map<string, number> {
  const threads = new Map<string, number>();
  try {
    for (const tid of fs.readdirSync('/proc/self/task')) threads.set(tid, statCpuUs(`/proc/self/task/${tid}/stat`));
  } catch {
    /* no /proc */
  }
  return threads;
}

const mainTid = String(process.pid);

/**
 * One measured phase. Besides throughput and latency it records how long this thread's event
 * loop was busy per request (the proxy's or the relay's own cost), which stays meaningful when
 * other work on the machine disturbs wall-clock figures.
 */
async function measure(p: Path, conns: number, secs: number): Promise<Measured> {
  const elu0 = performance.eventLoopUtilization();
  const cpu0 = process.cpuUsage();
  const threads0 = threadsCpuUs();
  const odoo0 = statCpuUs(`/proc/${odoo.child.pid}/stat`);
  const r = await runLoad({ origin: p.origin, path: p.pathname, headers: p.headers, body: p.body, seconds: secs, connections: conns, expectStatus: 200 });
  const cpu = process.cpuUsage(cpu0);
  const elu = performance.eventLoopUtilization(elu0);
  const threads1 = threadsCpuUs();
  const thread = (threads1.get(mainTid) ?? NaN) - (threads0.get(mainTid) ?? NaN);
  // Threads alive before and after the phase are the server's own; the load generator's
  // worker thread is started and ended within it, so its time is what the process used besides.
  let helpers = 0;
  for (const [tid, us] of threads1) if (tid !== mainTid && threads0.has(tid)) helpers += us - threads0.get(tid)!;
  const processUs = cpu.user + cpu.system;
  return {
    ...r,
    cpu: {
      main: thread / r.requests,
      helpers: helpers / r.requests,
      load: (processUs - thread - helpers) / r.requests,
      odoo: (statCpuUs(`/proc/${odoo.child.pid}/stat`) - odoo0) / r.requests,
    },
    busyUsPerRequest: p.name === 'direct' ? NaN : (elu.active * 1000) / r.requests,
    // CPU time of this process (server under test + load generator; the Odoo test server is a
    // child process): unlike wall-clock figures it does not grow when other work preempts us.
    cpuUsPerRequest: (cpu.user + cpu.system) / r.requests,
  };
}

const proxy = await startBareProxy(odoo, connections);
const relay = await startBenchRelay(odoo, connections);
const floor = values.floor ? await startFastifyFloor(odoo, connections) : null;
const paths: Path[] = [directPath(odoo), proxy.path, ...(floor ? [floor.path] : []), relay.path];

// Warm every path up (V8 needs a few thousand calls to optimize the relay's code), then
// interleave rounds so that a burst of outside load hits all paths alike; report the median round.
for (const p of paths) await measure(p, connections, warmup);
if (values.profile || values['heap-profile']) {
  const { Session } = await import('node:inspector/promises');
  const session = new Session();
  session.connect();
  const profiled = paths.find((p) => p.name === values['profile-path']);
  if (!profiled) throw new Error(`--profile-path ${values['profile-path']}: no such path (floor needs --floor)`);
  let file: string;
  let r: Measured;
  if (values.profile) {
    file = values.profile;
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
    r = await measure(profiled, connections, seconds);
    fs.writeFileSync(file, JSON.stringify((await session.post('Profiler.stop')).profile));
  } else {
    file = values['heap-profile']!;
    await session.post('HeapProfiler.enable');
    // Every ~4 KB allocated is sampled (V8's default is 32 KB): enough samples per call.
    await session.post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
    r = await measure(profiled, connections, seconds);
    fs.writeFileSync(file, JSON.stringify((await session.post('HeapProfiler.stopSampling')).profile));
  }
  console.log(`${profiled.name}: ${r.rps.toFixed(0)} req/s (${r.requests} requests), ${r.busyUsPerRequest.toFixed(0)} µs busy/req; profile written to ${file}`);
  await relay.close();
  await proxy.close();
  await floor?.close();
  process.exit(0);
}
const rounds: Record<string, Measured[]> = Object.fromEntries(paths.map((p) => [p.name, []]));
const single: Record<string, Measured[]> = Object.fromEntries(paths.map((p) => [p.name, []]));
for (let i = 0; i < roundCount; i++) {
  for (const p of paths) rounds[p.name]!.push(await measure(p, connections, seconds));
  for (const p of paths) single[p.name]!.push(await measure(p, 1, Math.min(seconds, 2)));
}

/**
 * The same comparison in short windows, proxy and relay alternating A B B A … on warm pools, so
 * that the machine's slow spells (seconds long) hit both paths alike. Per window: requests,
 * seconds, and this thread's CPU time (the server under test; /proc counts in 10 ms ticks, so
 * only sums over many windows are meaningful). A window ends when its path has settled (the
 * relay's request log written): that time counts as the path's, so no path's deferred work is
 * done on the next window's clock.
 */
async function alternate(pairs: number, windowMs: number) {
  const servers = [proxy, relay];
  const load = new AlternatingLoad(servers.map((s) => s.path), connections);
  const mainCpuUs = () => statCpuUs(`/proc/self/task/${mainTid}/stat`);
  const total = () => ({ requests: 0, errors: 0, seconds: 0, mainUs: 0 });
  const totals = [total(), total()] as const;
  const pairRatios: number[] = [];
  // One short pass of each first, so both pools' connections are open before anything counts.
  for (const target of [0, 1]) await load.window(target, 200);
  for (const order of abbaOrder(pairs)) {
    const rps = [0, 0];
    for (const target of order) {
      const before = mainCpuUs();
      const w = await load.window(target, windowMs);
      const settleStart = performance.now();
      await servers[target]!.settle?.();
      w.seconds += (performance.now() - settleStart) / 1000;
      const t = totals[target];
      t.mainUs += mainCpuUs() - before;
      t.requests += w.requests;
      t.errors += w.errors;
      t.seconds += w.seconds;
      rps[target] = w.requests / w.seconds;
    }
    pairRatios.push(rps[1]! / rps[0]!);
  }
  await load.close();
  const [p, r] = totals;
  const sorted = [...pairRatios].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.floor(q * sorted.length)]!;
  return { proxy: p, relay: r, pooled: r.requests / r.seconds / (p.requests / p.seconds), quartiles: [at(0.25), at(0.5), at(0.75)] };
}
const pairs = Number(values.pairs);
const alternating = pairs > 0 ? await alternate(pairs, Number(values['window-ms'])) : null;

const median = (list: Measured[]) => [...list].sort((a, b) => a.rps - b.rps)[Math.floor(list.length / 2)]!;
const results: Record<string, Measured> = Object.fromEntries(Object.entries(rounds).map(([k, v]) => [k, median(v)]));
const latency: Record<string, Measured> = Object.fromEntries(Object.entries(single).map(([k, v]) => [k, median(v)]));

await relay.close();
await proxy.close();
await floor?.close();

const d = results.direct!;
const fmt = (n: number, digits = 2) => n.toFixed(digits).padStart(9);
console.log(
  `\nbench:gateway — median of ${roundCount} interleaved rounds, ${seconds}s per phase after ${warmup}s warm-up, ${connections} keep-alive connections, Node ${process.version}, ${os.cpus().length} cores, load average ${os.loadavg()[0]!.toFixed(1)}`,
);
console.log(`path     req/s     p50 ms    p99 ms   +p50 ms   +p99 ms  busy µs/req  thread µs/req  cpu µs/req   errors`);
for (const [name, r] of Object.entries(results)) {
  const added = name === 'direct' ? ['        —', '        —'] : [fmt(r.p50 - d.p50), fmt(r.p99 - d.p99)];
  const busy = Number.isNaN(r.busyUsPerRequest) ? '—' : r.busyUsPerRequest.toFixed(0);
  const thread = name === 'direct' || Number.isNaN(r.cpu.main) ? '—' : r.cpu.main.toFixed(0);
  console.log(
    `${name.padEnd(6)} ${fmt(r.rps, 0)} ${fmt(r.p50)} ${fmt(r.p99)} ${added[0]} ${added[1]} ${busy.padStart(12)} ${thread.padStart(14)} ${r.cpuUsPerRequest.toFixed(0).padStart(11)} ${String(r.errors).padStart(8)}`,
  );
}
console.log(`\nCPU per request by thread group (µs, the median round's; the machine has ${os.cpus().length} cores for all of them):`);
console.log(`path      server main   server helpers   load generator   Odoo test server      all`);
for (const [name, r] of Object.entries(results)) {
  const c = r.cpu;
  const main = name === 'direct' ? '—' : c.main.toFixed(0);
  const helpers = name === 'direct' ? '—' : c.helpers.toFixed(0);
  console.log(
    `${name.padEnd(6)} ${main.padStart(14)} ${helpers.padStart(16)} ${c.load.toFixed(0).padStart(16)} ${c.odoo.toFixed(0).padStart(18)} ${(name === 'direct' ? c.load + c.odoo : c.main + c.helpers + c.load + c.odoo).toFixed(0).padStart(8)}`,
  );
}
const l = latency.direct!;
console.log(`\none connection (added latency without queueing):`);
console.log(`path     req/s     p50 ms    p99 ms   +p50 ms   +p99 ms`);
for (const [name, r] of Object.entries(latency)) {
  const added = name === 'direct' ? ['        —', '        —'] : [fmt(r.p50 - l.p50), fmt(r.p99 - l.p99)];
  console.log(`${name.padEnd(6)} ${fmt(r.rps, 0)} ${fmt(r.p50)} ${fmt(r.p99)} ${added[0]} ${added[1]}`);
}
// Each round loads the proxy and then the relay back to back, so a round's ratio compares the
// two under the same outside load; the headline is the median of those paired ratios.
const roundRatios = rounds.relay!.map((r, i) => r.rps / rounds.proxy![i]!.rps);
const ratio = [...roundRatios].sort((a, b) => a - b)[Math.floor(roundRatios.length / 2)]!;
console.log(`\nrelay/proxy throughput ratio: ${ratio.toFixed(2)} (target ≥ 0.70; median of the rounds' paired ratios)`);
console.log(`relay/proxy throughput, each round: ${roundRatios.map((x) => x.toFixed(2)).join(', ')}; ratio of the median req/s: ${(results.relay!.rps / results.proxy!.rps).toFixed(2)}`);
if (results.floor) console.log(`floor/proxy throughput ratio: ${(results.floor.rps / results.proxy!.rps).toFixed(2)} (Fastify forwarding with none of the relay's features)`);
console.log(`relay/proxy busy time per request: ${(results.relay!.busyUsPerRequest / results.proxy!.busyUsPerRequest).toFixed(2)}`);
const threadRatios = rounds.relay!.map((r, i) => r.cpu.main / rounds.proxy![i]!.cpu.main);
console.log(`relay/proxy main-thread CPU per request, each round: ${threadRatios.map((x) => x.toFixed(2)).join(', ')}`);
const serverCpu = (name: string) => results[name]!.cpuUsPerRequest - results.direct!.cpuUsPerRequest;
console.log(
  `server CPU per request (process CPU minus the direct path's, i.e. without the load generator): proxy ${serverCpu('proxy').toFixed(0)} µs, relay ${serverCpu('relay').toFixed(0)} µs`,
);
console.log(
  `relay added p50 (one connection): ${(latency.relay!.p50 - l.p50).toFixed(2)} ms over direct, ${(latency.relay!.p50 - latency.proxy!.p50).toFixed(2)} ms over the proxy (target ≤ 1 ms)`,
);
if (alternating) {
  const { proxy: p, relay: r } = alternating;
  console.log(`\nalternating windows: ${pairs} proxy/relay pairs of ${values['window-ms']} ms, A B B A order, ${connections} connections`);
  console.log(`path     requests   seconds     req/s  main-thread µs/req   errors`);
  for (const [name, t] of [['proxy', p], ['relay', r]] as const) {
    console.log(`${name.padEnd(6)} ${String(t.requests).padStart(10)} ${t.seconds.toFixed(1).padStart(9)} ${(t.requests / t.seconds).toFixed(0).padStart(9)} ${(t.mainUs / t.requests).toFixed(0).padStart(19)} ${String(t.errors).padStart(8)}`);
  }
  console.log(
    `relay/proxy throughput, alternating windows: ${alternating.pooled.toFixed(2)} (target ≥ 0.70; all windows' requests over their seconds); pairs' quartiles ${alternating.quartiles.map((x) => x.toFixed(2)).join(', ')}`,
  );
}
process.exit(0);
