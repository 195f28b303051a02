/**
 * Where one path's main-thread time goes against another's, per request, from two CPU profiles
 * written by `bench:gateway --profile`:
 *
 *   npm run bench:gateway -- --profile /tmp/relay.cpuprofile --seconds 8          # prints "relay: … (N requests)"
 *   npm run bench:gateway -- --profile /tmp/proxy.cpuprofile --profile-path proxy --seconds 8
 *   npx tsx bench/profile-diff.ts /tmp/relay.cpuprofile <N relay> /tmp/proxy.cpuprofile <N proxy> [rows]
 *
 * Self time is grouped by where the code lives: one npm package, one of the relay's source files,
 * one Node internal module, or a native frame (`writev` is the kernel's share of a socket write,
 * GC the collector's work on this thread). Idle time is left out. Sampling slows JavaScript more
 * than native code, so read the rows against each other, not as absolute costs.
 */
import fs from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** The group a frame's self time counts to. */
export function groupOf(url: string, functionName: string): string {
  if (!url) return `native:${functionName || '(anonymous)'}`;
  const inPackage = url.split('node_modules/');
  if (inPackage.length > 1) {
    const rest = inPackage.at(-1)!.split('/');
    return `npm:${rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]}`;
  }
  const source = url.split('/dist/src/');
  if (source.length > 1) return `src:${source[1]}`;
  return url.replace(/^file:\/\/.*\/bench\//, 'bench:');
}

/** Self time per request (µs) of each group, idle left out. */
export function selfTimePerRequest(profile: CpuProfile, requests: number): Map<string, number> {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const groups = new Map<string, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const frame = nodes.get(profile.samples[i]!)!.callFrame;
    if (frame.functionName === '(idle)') continue;
    const group = groupOf(frame.url, frame.functionName);
    groups.set(group, (groups.get(group) ?? 0) + (profile.timeDeltas[i] ?? 0) / requests);
  }
  return groups;
}

function main(): void {
  const [fileA, requestsA, fileB, requestsB, rows = '30'] = process.argv.slice(2);
  if (!fileA || !requestsA || !fileB || !requestsB) {
    console.error('usage: tsx bench/profile-diff.ts <a.cpuprofile> <requests a> <b.cpuprofile> <requests b> [rows]');
    process.exit(2);
  }
  const read = (file: string, n: string) => selfTimePerRequest(JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile, Number(n));
  const a = read(fileA, requestsA);
  const b = read(fileB, requestsB);
  const total = (m: Map<string, number>) => [...m.values()].reduce((x, y) => x + y, 0);
  const diffs = [...new Set([...a.keys(), ...b.keys()])]
    .map((group) => ({ group, a: a.get(group) ?? 0, b: b.get(group) ?? 0 }))
    .sort((x, y) => y.a - y.b - (x.a - x.b));
  console.log(`main-thread µs per request, idle left out: a ${total(a).toFixed(1)}, b ${total(b).toFixed(1)}, a − b ${(total(a) - total(b)).toFixed(1)}`);
  console.log(`${'a − b'.padStart(7)} ${'a'.padStart(7)} ${'b'.padStart(7)}  group`);
  for (const d of diffs.slice(0, Number(rows))) {
    console.log(`${(d.a - d.b).toFixed(2).padStart(7)} ${d.a.toFixed(2).padStart(7)} ${d.b.toFixed(2).padStart(7)}  ${d.group}`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) main();
