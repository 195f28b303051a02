import path from 'node:path';
import { secretMask } from './secrets/secret-mask.js';

/**
 * Why the relay could not start, in the closed set the CLI reports as `error (code): message`
 * with exit status 2, as it does a wrong variable: each names the setting to change. Messages
 * are built from error codes and the settings, never copied from the error, so a password in
 * DATABASE_URL cannot reach them.
 */
export type StartupErrorCode = 'data_dir_in_use' | 'data_dir_unusable' | 'address_unavailable' | 'database_unreachable' | 'database_too_new';

export class StartupError extends Error {
  constructor(
    readonly code: StartupErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'StartupError';
  }
}

/** The settings a start-up failure is explained by. */
export interface StartupSettings {
  dataDir: string;
  host: string;
  port: number;
  databaseUrl: string | undefined;
}

/** Another relay holds the SQLite data folder (`holder`: "pid N on host H", when it is known). */
export function dataDirInUse(dataDir: string, holder: string | undefined): StartupError {
  return new StartupError(
    'data_dir_in_use',
    `DATA_DIR ${dataDir} is in use by another relay (${holder ?? 'its pid is not recorded yet'}); stop it, or give this relay a DATA_DIR of its own (relays share one database only on PostgreSQL: DATABASE_URL)`,
  );
}

/** The fields of Node's system errors (and pg's server errors) a failure is recognised by. */
interface FailureFields {
  code?: unknown;
  syscall?: unknown;
  path?: unknown;
  hostname?: unknown;
  message?: unknown;
}

/** A known start-up failure described by the setting to change; undefined for any other error (shown whole). */
export function explainStartupFailure(err: unknown, settings: StartupSettings): StartupError | undefined {
  for (const e of causes(err)) {
    const found = dataDirFailure(e, settings) ?? databaseFailure(e, settings) ?? listenFailure(e, settings);
    if (found) return found;
  }
  return undefined;
}

/** The error, what it wraps (`cause`, as migrate's error does) and the attempts of an AggregateError. */
function causes(err: unknown): FailureFields[] {
  const found: FailureFields[] = [];
  const visit = (e: unknown, depth: number) => {
    if (!e || typeof e !== 'object' || depth > 4) return;
    found.push(e as FailureFields);
    visit((e as { cause?: unknown }).cause, depth + 1);
    const errors = (e as { errors?: unknown }).errors;
    if (Array.isArray(errors)) for (const inner of errors) visit(inner, depth + 1);
  };
  visit(err, 0);
  return found;
}

const DATA_DIR_HINT = 'Let the user the relay runs as read and write that folder, or set DATA_DIR to one it may.';

function dataDirFailure(e: FailureFields, s: StartupSettings): StartupError | undefined {
  const unusable = (reason: string, hint = DATA_DIR_HINT) => new StartupError('data_dir_unusable', `DATA_DIR ${s.dataDir} cannot be used: ${reason}\n  ${hint}`);
  if (typeof e.code === 'string' && e.code.startsWith('SQLITE_') && !s.databaseUrl) {
    if (e.code === 'SQLITE_CANTOPEN') return unusable('the database relay.db in it cannot be opened (is it writable by this user?)');
    if (e.code.startsWith('SQLITE_READONLY')) return unusable('the database relay.db in it is read-only to this user');
    if (e.code === 'SQLITE_PERM') return unusable('permission denied on the database relay.db in it');
    if (e.code === 'SQLITE_NOTADB') return unusable('relay.db in it is not a SQLite database', 'Set DATA_DIR to the folder that holds the relay\'s relay.db, or to a new one.');
    if (e.code === 'SQLITE_FULL') return unusable('no space left on its disk', 'Free space there, or set DATA_DIR to a folder on another disk.');
    return undefined;
  }
  if (typeof e.path !== 'string' || !relatedPath(e.path, s.dataDir)) return undefined;
  const where = path.resolve(e.path) === s.dataDir ? '' : ` (${e.path})`;
  switch (e.code) {
    case 'EACCES':
    case 'EPERM':
      return unusable(`permission denied${where}`);
    case 'EEXIST':
      if (e.syscall !== 'mkdir') return undefined;
      return unusable(`${e.path} is a file, not a folder`, 'Set DATA_DIR to a folder (the relay creates it when missing).');
    case 'ENOTDIR':
      return unusable(`a part of the path is a file, not a folder${where}`, 'Set DATA_DIR to a folder (the relay creates it when missing).');
    case 'EROFS':
      return unusable('it is on a read-only file system', 'Set DATA_DIR to a folder on a writable disk (a writable volume, in a container).');
    case 'ENOSPC':
    case 'EDQUOT':
      return unusable('no space left on its disk (or the quota is used up)', 'Free space there, or set DATA_DIR to a folder on another disk.');
    default:
      return undefined;
  }
}

/** The data folder, a file in it, or a folder above it (recursive mkdir names the one it failed on). */
function relatedPath(p: string, dataDir: string): boolean {
  const resolved = path.resolve(p);
  return resolved === dataDir || resolved.startsWith(dataDir + path.sep) || dataDir.startsWith(resolved + path.sep);
}

const NETWORK_REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ECONNRESET: 'connection reset',
};

const TLS_CERTIFICATE_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

function databaseFailure(e: FailureFields, s: StartupSettings): StartupError | undefined {
  if (!s.databaseUrl || e.syscall === 'listen') return undefined;
  const target = databaseTarget(s.databaseUrl);
  const fail = (reason: string, hint: string) => new StartupError('database_unreachable', `DATABASE_URL: ${reason}\n  ${hint}`);
  const code = typeof e.code === 'string' ? e.code : '';
  const reachHint = 'Check the host and port in DATABASE_URL, and that PostgreSQL runs and accepts connections from this machine.';
  if (Object.hasOwn(NETWORK_REASONS, code)) {
    // A name that does not resolve is the database's only if it is the database's host (HOST is looked up too).
    if (e.syscall === 'getaddrinfo' && e.hostname !== target.host) return undefined;
    return fail(`cannot reach PostgreSQL at ${target.where}: ${NETWORK_REASONS[code]}`, reachHint);
  }
  if (code === 'ENOENT' && e.syscall === 'connect') return fail(`no PostgreSQL socket at ${target.where}`, reachHint);
  if (TLS_CERTIFICATE_CODES.has(code)) {
    return fail(`the TLS certificate of PostgreSQL at ${target.where} was refused (${code})`, 'Give its CA with sslrootcert=… in DATABASE_URL, or use the host name the certificate names.');
  }
  switch (code) {
    case '28P01':
      return fail(`PostgreSQL at ${target.where} refused the password of user ${target.user}`, 'Check the user and password in DATABASE_URL.');
    case '28000':
      return fail(`PostgreSQL at ${target.where} does not let user ${target.user} connect from this machine to database ${target.database}`, 'Allow it in pg_hba.conf, or check the user in DATABASE_URL.');
    case '3D000':
      return fail(`database ${target.database} does not exist on PostgreSQL at ${target.where}`, `Create it (createdb ${target.database}), or name an existing database in DATABASE_URL.`);
    case '42501':
      return fail(`user ${target.user} may not create the relay's tables in database ${target.database}`, 'Make the user the owner of the database (or grant it CREATE on schema public), or use another user in DATABASE_URL.');
    case '57P03':
    case '53300':
      return fail(`PostgreSQL at ${target.where} refuses connections for now (${code === '57P03' ? 'starting up or shutting down' : 'too many connections'})`, 'Start the relay again once PostgreSQL accepts connections.');
  }
  // pg's own failures carry no code; these two messages are pg's, not the server's.
  if (e.message === 'The server does not support SSL connections') {
    return fail(`PostgreSQL at ${target.where} does not accept TLS`, 'Remove sslmode=… (or ssl=…) from DATABASE_URL, or enable TLS on the server.');
  }
  if (e.message === 'Connection terminated unexpectedly') {
    return fail(`PostgreSQL at ${target.where} ended the connection at once (is it PostgreSQL that listens on that port?)`, reachHint);
  }
  return undefined;
}

/** Where DATABASE_URL points and as whom: host, port, database and user, never the password. */
function databaseTarget(databaseUrl: string): { host: string; where: string; user: string; database: string } {
  try {
    const url = new URL(databaseUrl);
    // pg reads ?host= (a Unix socket folder) and ?port= as well as the URL's own.
    const host = url.searchParams.get('host') ?? (decodeURIComponent(url.hostname.replace(/^\[|\]$/g, '')) || 'localhost');
    const port = url.searchParams.get('port') ?? (url.port || '5432');
    const database = decodeURIComponent(url.pathname.slice(1)) || '(default)';
    const user = url.username ? `"${decodeURIComponent(url.username)}"` : '(default)';
    return { host, where: `${host.startsWith('/') ? host : `${host}:${port}`}/${database}`, user, database };
  } catch {
    return { host: '', where: 'the host in DATABASE_URL', user: '(from DATABASE_URL)', database: '(from DATABASE_URL)' };
  }
}

function listenFailure(e: FailureFields, s: StartupSettings): StartupError | undefined {
  const unavailable = (reason: string, hint: string) => new StartupError('address_unavailable', `${reason}\n  ${hint}`);
  const hostHint = 'Set HOST to an address of this machine: 127.0.0.1 for this machine alone, 0.0.0.0 for every interface.';
  if (e.syscall === 'getaddrinfo' && e.hostname === s.host && (e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN')) {
    return unavailable(`HOST ${s.host} does not resolve to an address`, hostHint);
  }
  if (e.syscall !== 'listen') return undefined;
  switch (e.code) {
    case 'EADDRINUSE':
      return unavailable(`PORT ${s.port} on HOST ${s.host} is in use (by another relay or another program)`, 'Stop what listens there, or set PORT (or HOST) to a free one.');
    case 'EADDRNOTAVAIL':
      return unavailable(`HOST ${s.host} is not an address of this machine`, hostHint);
    case 'EAFNOSUPPORT':
      return unavailable(`HOST ${s.host}: this machine does not support its address family (IPv6 turned off?)`, hostHint);
    case 'EACCES':
    case 'EPERM':
      return unavailable(`PORT ${s.port} needs privileges this user lacks (ports below 1024)`, 'Set PORT to 1024 or above, and let a reverse proxy take the low port.');
    default:
      return undefined;
  }
}

/**
 * Masks the secrets the environment gives the relay (DATABASE_URL's password, MASTER_KEY,
 * CHAT_API_KEY) in a text the CLI prints whole: an error it has no explanation for.
 */
export function environmentSecretMask(env: NodeJS.ProcessEnv): (text: string) => string {
  const secrets = [env.MASTER_KEY, env.CHAT_API_KEY];
  try {
    const password = env.DATABASE_URL ? new URL(env.DATABASE_URL).password : '';
    if (password) secrets.push(password, decodeURIComponent(password));
  } catch {
    // Not a URL: config has refused it before anything could fail with it.
  }
  return secretMask(secrets.filter((x): x is string => Boolean(x)));
}
