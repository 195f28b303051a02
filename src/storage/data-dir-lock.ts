import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { createPrivateFile, ensureDataDir } from './data-dir.js';

/*
 * One relay process per SQLite data folder: a second one would count every key's rate limit in
 * a budget of its own, and take the first one's delivery claims and capture leases for those of
 * a crashed process.
 *
 * The lock is SQLite's own lock on DATA_DIR/relay.lock, taken by an EXCLUSIVE transaction that is
 * never committed. It is a kernel (fcntl) lock, so it ends with the process however the process
 * ends — SIGTERM, SIGKILL, out of memory, a failed start — and there is no stale lock to judge
 * and take over. A pid file alone cannot tell a live holder: in a container the relay has the
 * same pid at every start, and two containers sharing the data volume each number their
 * processes from 1, so each sees the other's pid as its own or as no process. (proper-lockfile
 * judges a lock stale by its age, refreshed by a timer that a stalled event loop lets lapse, and
 * does not record who holds it.) Other commands (users, keys, migrate) never touch the lock.
 *
 * DATA_DIR/relay.pid names the holder, for the refusal's message only; nothing trusts it.
 */

const LOCK_FILE = 'relay.lock';
const HOLDER_FILE = 'relay.pid';

export type DataDirLock =
  | { held: true; release(): void }
  /** `holder` is "pid N on host H", or undefined while the holder has not written it yet. */
  | { held: false; holder: string | undefined };

/** Takes the data folder for this process, or says who holds it. */
export function lockDataDir(dataDir: string): DataDirLock {
  ensureDataDir(dataDir);
  const lockFile = path.join(dataDir, LOCK_FILE);
  createPrivateFile(lockFile);
  // timeout 0: a held lock answers SQLITE_BUSY at once instead of after SQLite's busy wait.
  const db = new SQLite(lockFile, { timeout: 0 });
  try {
    db.exec('BEGIN EXCLUSIVE');
  } catch (err) {
    db.close();
    if ((err as { code?: string }).code === 'SQLITE_BUSY') return { held: false, holder: readHolder(dataDir) };
    throw err;
  }
  const holderFile = path.join(dataDir, HOLDER_FILE);
  fs.writeFileSync(holderFile, `${process.pid} ${os.hostname()}\n`, { mode: 0o600 });
  let released = false;
  return {
    held: true,
    release() {
      if (released) return;
      released = true;
      // Before the lock ends: once it does, the file may be the next holder's.
      fs.rmSync(holderFile, { force: true });
      db.close();
    },
  };
}

function readHolder(dataDir: string): string | undefined {
  let text: string;
  try {
    text = fs.readFileSync(path.join(dataDir, HOLDER_FILE), 'utf8');
  } catch {
    return undefined;
  }
  const match = /^(\d+) (\S+)/.exec(text);
  return match ? `pid ${match[1]} on ${match[2]}` : undefined;
}
