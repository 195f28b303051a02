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
  });
});
