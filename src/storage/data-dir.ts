import fs from 'node:fs';

/*
 * The data folder holds API key hashes, sealed Odoo credentials, the master key and the request
 * log: what the relay creates there is for the user it runs as alone. What an admin made
 * beforehand keeps the mode they gave it (a backup group may read it on purpose).
 */

/** Creates the data folder (and missing parents) 0700; an existing one is left as it is. */
export function ensureDataDir(dataDir: string): void {
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
}

/**
 * Creates an empty file readable by its owner alone, unless it exists. SQLite gives the -wal,
 * -shm and -journal files it creates beside a database the database file's mode.
 */
export function createPrivateFile(file: string): void {
  try {
    fs.closeSync(fs.openSync(file, 'wx', 0o600));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
}
