/**
 * The real CLI (`odoo-relay …`) run as a user runs it: a Node process per command (TypeScript
 * compiled on the fly by tsx), with its exit code and output, or `serve` left running.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');
// node --import tsx, not the tsx wrapper binary: signals then reach the relay process itself.
const nodeArgs = ['--import', 'tsx', 'src/cli.ts'];

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** Run as this user (root only): how a permission refusal is seen by a test running as root. */
  uid?: number;
  gid?: number;
  /** Kill the command (SIGTERM) after this long: a `serve` expected to refuse that starts instead. */
  timeoutMs?: number;
}

/** Runs one CLI command to its end; `stdin` is written then closed (for --secret-stdin and the like). */
export async function runCli(env: NodeJS.ProcessEnv, args: string[], stdin?: string, options: CliOptions = {}): Promise<CliResult> {
  const child = execFile(process.execPath, [...nodeArgs, ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    uid: options.uid,
    gid: options.gid,
    timeout: options.timeoutMs ?? 0,
  });
  child.stdin!.end(stdin ?? '');
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? -1)));
  return { code, stdout, stderr };
}

/** A loopback port free at the time of asking. */
async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

export interface ServeProcess {
  child: ChildProcess;
  url: string;
  /** stdout and stderr so far. */
  output(): string;
  /** stdout alone so far: the relay's JSON log lines. */
  stdout(): string;
  /** Resolves with the exit code (null when killed by a signal) once the process has ended. */
  exited: Promise<number | null>;
  kill(): Promise<void>;
}

/** Starts `odoo-relay serve` on a free port and resolves once it logs that it listens. */
export async function startServe(env: NodeJS.ProcessEnv): Promise<ServeProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [...nodeArgs, 'serve'], {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: 'info', ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer) => {
      out += d;
      if (out.includes('odoo-relay listening')) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d) => (err += d));
    void exited.then((code) => reject(new Error(`serve exited with ${code} before listening:\n${out}${err}`)));
  });
  return {
    child,
    url: `http://127.0.0.1:${port}`,
    output: () => out + err,
    stdout: () => out,
    exited,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
