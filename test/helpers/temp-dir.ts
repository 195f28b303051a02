/**
 * Temporary folders for a test file's databases and data dirs, removed after the file's last
 * test: left behind, every run of the suite added hundreds to the machine's /tmp.
 */
import { afterAll } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const made: string[] = [];

// Registered on import, so it runs after the file's own afterAll hooks (run last-first), once
// its relays and databases are closed.
afterAll(() => {
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/** A new empty folder under the system's temporary folder, named `<prefix>XXXXXX`. */
export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(dir);
  return dir;
}
