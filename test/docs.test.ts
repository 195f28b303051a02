import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import { errorCodes } from '../src/errors/codes.js';

describe('docs/api.md', () => {
  const doc = fs.readFileSync(new URL('../docs/api.md', import.meta.url), 'utf8');
  it('lists every error code with its HTTP status', () => {
    for (const [code, { status }] of Object.entries(errorCodes)) {
      expect(doc, code).toContain(`| \`${code}\` | ${status} |`);
    }
  });
});
