import fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, startServe, type ServeProcess } from './helpers/cli.js';
import { startOdooSim, type OdooSim } from './odoo-sim/server.js';
import { tempDir } from './helpers/temp-dir.js';

/** Splits one shell command line into words: single and double quotes, no expansion (the README uses none). */
function shellWords(line: string): string[] {
  const words: string[] = [];
  const pattern = /'([^']*)'|"([^"]*)"|(\S+)/g;
  for (const m of line.matchAll(pattern)) words.push(m[1] ?? m[2] ?? m[3]!);
  return words;
}

/** The README's quick start, after "from the command line": its CLI lines, then its curl line. */
function quickStart(): { cli: { args: string[]; stdin?: string }[]; curl: string[] } {
  const readme = fs.readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const section = readme.slice(readme.indexOf('## Quick start'), readme.indexOf('## The endpoint'));
  const blocks = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!.replace(/\\\n\s*/g, ' ').replace(/\n\s+(?=['"-])/g, ' '));
  const commands = blocks.slice(1).join('\n').split('\n').filter((l) => l.trim() !== '');
  const cli = commands
    .filter((l) => l.includes('npm run cli --'))
    .map((line) => {
      const [command] = line.split(/\s+#/);
      const echo = /^echo '([^']*)' \| /.exec(command!);
      return { args: shellWords(command!.slice(command!.indexOf('npm run cli --') + 'npm run cli --'.length)), stdin: echo?.[1] };
    });
  const curl = shellWords(commands.find((l) => l.startsWith('curl'))!);
  return { cli, curl };
}

/**
 * The README's quick start run as written, on a fresh data folder: its CLI lines create the admin,
 * the Odoo connection (pointed at the Odoo test server instead of mycompany.odoo.com) and a key,
 * and its curl line, with that key, gets Odoo's answer. A quick start that ends in an error is
 * the first thing a newcomer meets.
 */
describe('README quick start', () => {
  let sim: OdooSim;
  let serve: ServeProcess | undefined;
  afterAll(async () => {
    await serve?.kill();
    await sim?.close();
  });

  it('works as written: the CLI lines, then the curl line with the printed key', async () => {
    sim = await startOdooSim({ version: 19, automationNoise: 'none' });
    const env = { DATA_DIR: tempDir('relay-quickstart-') };
    const { cli, curl } = quickStart();
    expect(cli.map((c) => c.args.slice(0, 2).join(' '))).toEqual(['users create', 'connections set', 'keys create']);
    // Only what points at the reader's own Odoo changes: the test server's address, database and login.
    const local: Record<string, string> = { '--url': sim.url, '--db': 'odoo_demo', '--login': 'admin' };
    let printed = '';
    for (const { args, stdin } of cli) {
      const localArgs = args.map((word, i) => local[args[i - 1]!] ?? word);
      const secret = localArgs[0] === 'connections' ? 'admin' : stdin;
      const result = await runCli(env, localArgs, secret);
      expect(result.code, `${args.join(' ')}\n${result.stderr}`).toBe(0);
      printed += result.stdout;
    }
    const key = /sk_live_[A-Za-z0-9]+/.exec(printed)?.[0];
    expect(key).toBeDefined();

    serve = await startServe(env);
    const headers: Record<string, string> = {};
    let body = '';
    for (let i = 1; i < curl.length; i++) {
      if (curl[i] === '-H') {
        const [name, ...value] = curl[++i]!.split(':');
        headers[name!.trim()] = value.join(':').trim().replace('sk_live_…', key!);
      } else if (curl[i] === '-d') body = curl[++i]!;
    }
    const url = curl.find((w) => w.startsWith('http://'))!.replace('http://127.0.0.1:8787', serve.url);
    const res = await fetch(url, { method: 'POST', headers, body });
    const answer = await res.json();
    expect(res.status, JSON.stringify(answer)).toBe(200);
    expect(answer.success).toBe(true);
    expect(Array.isArray(answer.result)).toBe(true);
    expect(answer.result.length).toBeGreaterThan(0);
  });
});
