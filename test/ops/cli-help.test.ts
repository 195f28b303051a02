import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { describeConfig } from '../../src/config.js';

describe('odoo-relay --help', { timeout: 60_000 }, () => {
  it('describes every environment variable, each name clear of its text', async () => {
    const help = await runCli({}, ['--help']);
    expect(help.code, help.stderr).toBe(0);
    const section = help.stdout.split('Environment variables:\n')[1]!.split('\n');
    for (const { name } of describeConfig()) {
      const line = section.find((l) => l.startsWith(`  ${name} `));
      expect(line, name).toMatch(new RegExp(`^  ${name} {2,}\\S`));
    }
    // Defaults come from the schema: an unset variable's value is told, a variable without one is not.
    const text = help.stdout.split('Environment variables:\n')[1]!.replace(/\n {4,}/g, ' ');
    expect(text).toMatch(/  PORT {2,}.*\(default: 8787\)/);
    expect(text).toMatch(/  SHUTDOWN_GRACE_MS {2,}.*\(default: 10000\)/);
    expect(text).not.toMatch(/  MASTER_KEY {2,}.*\(default:/);
  });
});
