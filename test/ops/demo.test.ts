/**
 * `npm run demo` as a newcomer meets it: the script starts, prints ready-to-run curl lines, and
 * those lines get real answers from the relay and the bundled Odoo test server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { httpPost } from '../helpers/relay.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');
const has = (command: string) => {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

let demo: ChildProcess;
let output = '';

beforeAll(async () => {
  // node --import tsx, as `npm run demo` runs tsx: signals then reach the demo process itself.
  demo = spawn(process.execPath, ['--import', 'tsx', 'scripts/demo.ts'], { cwd: root, env: { ...process.env, PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
  demo.stdout!.on('data', (d) => (output += d));
  demo.stderr!.on('data', (d) => (output += d));
  await new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      if (output.includes('Ctrl-C stops both')) {
        clearInterval(timer);
        resolve();
      }
    }, 50);
    demo.once('exit', (code) => {
      clearInterval(timer);
      reject(new Error(`demo exited with ${code}:\n${output}`));
    });
  });
}, 60_000);

afterAll(async () => {
  if (demo.exitCode === null) {
    const exited = new Promise((resolve) => demo.once('exit', resolve));
    demo.kill('SIGINT');
    await exited;
  }
});

/** The printed curl commands, taken apart: URL, headers and the JSON body. */
function curlLines(text: string): { command: string; url: string; headers: Record<string, string>; body: string }[] {
  return [...text.matchAll(/curl -s (\S+)((?: -H '[^']+')+) \\\n\s+-d '([^']+)'/g)].map((m) => ({
    command: m[0],
    url: m[1]!,
    headers: Object.fromEntries([...m[2]!.matchAll(/-H '([^:]+): ([^']+)'/g)].map((h) => [h[1]!.toLowerCase(), h[2]!])),
    body: m[3]!,
  }));
}

describe('npm run demo', () => {
  it('prints a key and three curl lines that the relay answers from the Odoo test server', async () => {
    expect(output).toMatch(/API key:\s+sk_live_[0-9A-Za-z]{32,}/);
    const lines = curlLines(output);
    expect(lines.map((l) => JSON.parse(l.body).action)).toEqual(['test_connection', 'execute_method', 'execute_method']);

    const [test, search, create] = await Promise.all(lines.map((l) => httpPost(l.url, l.body, l.headers)));
    expect(test!.status).toBe(200);
    expect(test!.body.result).toMatchObject({ connected: true, protocol: 'json2' });
    expect(search!.status).toBe(200);
    expect(search!.body.result.length).toBeGreaterThan(0);
    expect(Object.keys(search!.body.result[0]).sort()).toEqual(['email', 'id', 'name', 'phone']);
    expect(create!.status).toBe(200);
    expect(typeof create!.body.result).toBe('number');
  });

  it.runIf(has('curl') && has('bash'))('the first line runs as printed in a shell (needs curl)', async () => {
    const { stdout } = await run('bash', ['-c', curlLines(output)[0]!.command]);
    expect(JSON.parse(stdout)).toMatchObject({ success: true, result: { connected: true } });
  });
});
