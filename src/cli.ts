#!/usr/bin/env node
import fs from 'node:fs';
import path from 'node:path';
import { inspect } from 'node:util';
import { Command, Option } from 'commander';
import { loadConfig, ConfigError, describeConfig, type Config } from './config.js';
import { createContext, type AppContext } from './context.js';
import { startRelay } from './server.js';
import { stopOnSignals } from './ops/shutdown.js';
import { environmentHelp } from './environment-help.js';
import { databaseFile, migrate, openStorage } from './storage/database.js';
import { lockDataDir } from './storage/data-dir-lock.js';
import { StartupError, dataDirInUse, environmentSecretMask, explainStartupFailure } from './startup-failure.js';
import { countUsers, createUser, findUserById, findUserByUsername, listUsers, setPassword } from './auth/users.js';
import { deleteUser, disableUser, enableUser, holdingsOf, keepAnAdmin, setUserRole, type AccountHoldings } from './auth/user-admin.js';
import { createApiKey, listApiKeys, revokeApiKey, setApiKeyHmac } from './auth/api-keys.js';
import { SCOPES, type Scope } from './auth/scopes.js';
import { resolveConnection, saveDefaultConnection } from './connections/store.js';
import { checkConnectionToSave } from './connections/login-check.js';
import { RelayError } from './errors/index.js';
import { OdooError } from './odoo/index.js';

function config(): Config {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
}

/**
 * Runs the start of a command (opening the data folder and the database, listening) and turns
 * the failures it knows into a StartupError naming the setting to change.
 */
async function starting<T>(c: Config, start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (err) {
    throw explainStartupFailure(err, c) ?? err;
  }
}

/**
 * Refuses a data folder with no database: run from another directory, or with DATA_DIR mistyped,
 * a command would otherwise make a new empty database there, and a new master key with it.
 */
function requireDatabase(c: Config): void {
  if (c.databaseUrl) return;
  const folder = fs.statSync(c.dataDir, { throwIfNoEntry: false });
  // A DATA_DIR that is not a folder is the start-up's to explain (data_dir_unusable).
  if (folder && !folder.isDirectory()) return;
  const file = databaseFile(c.dataDir);
  if (!fs.existsSync(file)) throw new RelayError('not_found', `No database at ${file} (is DATA_DIR right? users create, serve and migrate make a new one)`);
}

/** Runs a command with a context (database + master key), quietly, and closes it; `opts.create` for the commands that may make a new database. */
async function withContext<T>(fn: (ctx: AppContext) => Promise<T>, opts: { create?: boolean } = {}): Promise<T> {
  const c = config();
  if (!opts.create) requireDatabase(c);
  const ctx = await starting(c, () => createContext({ ...c, logLevel: 'warn' }));
  try {
    return await fn(ctx);
  } finally {
    await ctx.close();
  }
}

async function userId(ctx: AppContext, username: string): Promise<string> {
  const user = await findUserByUsername(ctx.storage.db, username);
  if (!user) throw new RelayError('not_found', `No user named '${username}'`);
  return user.id;
}

/**
 * Holds the SQLite data folder until the process exits, or refuses to start beside the relay
 * that holds it. The lock ends with the process however it ends; `exit` (process.exit ends both
 * the shutdown on SIGTERM/SIGINT and a failed start) also removes the holder's pid file.
 */
function holdDataDir(dataDir: string): void {
  const lock = lockDataDir(dataDir);
  if (!lock.held) throw dataDirInUse(dataDir, lock.holder);
  process.once('exit', () => lock.release());
}

/** A user's new password: from stdin with --password-stdin, else RELAY_USER_PASSWORD; refused when neither gives one. */
async function passwordOption(opts: { passwordStdin?: boolean }): Promise<string> {
  const password = opts.passwordStdin ? await readStdin() : process.env.RELAY_USER_PASSWORD;
  if (!password) throw new RelayError('invalid_request', 'Give the password with --password-stdin or RELAY_USER_PASSWORD');
  return password;
}

/** Reads a secret from stdin (so it never lands in shell history or `ps`). */
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

const program = new Command('odoo-relay').description('Gateway between automation tools (n8n) and Odoo');
program.addHelpText('after', () => `\nEnvironment variables:\n${environmentHelp(describeConfig(), process.stdout.columns || 80)}`);

program
  .command('serve')
  .description('Start the relay (migrates the database first)')
  .action(async () => {
    const c = config();
    // One relay per SQLite folder; on PostgreSQL several instances share the database.
    const relay = await starting(c, async () => {
      if (!c.databaseUrl) holdDataDir(c.dataDir);
      return startRelay(c);
    });
    relay.ctx.logger.info({ url: relay.url, database: relay.ctx.storage.dialect }, 'odoo-relay listening');
    stopOnSignals(relay);
  });

program
  .command('migrate')
  .description('Apply database migrations and exit')
  .action(async () => {
    const c = config();
    const storage = await starting(c, async () => openStorage({ databaseUrl: c.databaseUrl, dataDir: c.dataDir }));
    const applied = await starting(c, () => migrate(storage));
    await storage.close();
    console.log(applied.length ? `Applied: ${applied.join(', ')}` : 'Database is up to date');
  });

program
  .command('backup <file>')
  .description('Copy the SQLite database to <file>, consistent, also while the relay serves (PostgreSQL: pg_dump)')
  .action(async (file: string) => {
    const c = config();
    if (c.databaseUrl) throw new RelayError('invalid_request', 'This relay keeps its data in PostgreSQL (DATABASE_URL): back it up with pg_dump');
    // Opening a missing database would create an empty one, and back that up as if it were the data.
    requireDatabase(c);
    if (fs.existsSync(file)) throw new RelayError('conflict', `${file} exists already; name a new file`);
    const folder = path.dirname(path.resolve(file));
    if (!fs.statSync(folder, { throwIfNoEntry: false })?.isDirectory()) throw new RelayError('invalid_request', `${folder} is not a folder; create it first or name a file in another one`);
    const storage = await starting(c, async () => openStorage({ dataDir: c.dataDir }));
    // The copy holds key hashes and sealed secrets: created 0600 from its first byte (and its
    // journal with it), as the data folder's own files are, not loosened until the copy ends.
    const umask = process.umask(0o077);
    try {
      // SQLite's online backup: the committed state, including what is still in the WAL file,
      // which a copy of relay.db alone misses.
      await storage.sqlite!.backup(file);
    } catch (err) {
      fs.rmSync(file, { force: true });
      const code = (err as { code?: unknown }).code;
      throw new RelayError('invalid_request', `Cannot write the backup to ${file}${typeof code === 'string' ? ` (${code})` : ''}: name a file in a folder this user may write`);
    } finally {
      process.umask(umask);
      await storage.close();
    }
    console.log(`Backed up ${databaseFile(c.dataDir)} to ${file}`);
    console.log('The master key is not in it: keep MASTER_KEY or the data folder\'s master.key safe, apart from the backup');
  });

const users = program.command('users').description('Local dashboard accounts');
users
  .command('create')
  .description('Create a user: the first one is an admin, later ones are users unless --role admin')
  .requiredOption('-u, --username <name>')
  .option('--password-stdin', 'read the password from standard input')
  .addOption(new Option('--role <role>', 'default: admin for the first user, user after').choices(['admin', 'user']))
  .action(async (opts) => {
    const password = await passwordOption(opts);
    const user = await withContext(async (ctx) => {
      // Adding a colleague must not make a second administrator unless asked to.
      const role = opts.role ?? ((await countUsers(ctx.storage.db)) === 0 ? 'admin' : 'user');
      return createUser(ctx.storage.db, { username: opts.username, password, role });
    }, { create: true });
    console.log(`Created ${user.role} '${user.username}' (${user.id})`);
  });
users
  .command('set-password')
  .description("Set a user's password (a forgotten one, say); ends all of that user's sessions")
  .requiredOption('-u, --username <name>')
  .option('--password-stdin', 'read the password from standard input')
  .action(async (opts) => {
    const password = await passwordOption(opts);
    const user = await withContext(async (ctx) => setPassword(ctx.storage.db, await userId(ctx, opts.username), password));
    console.log(`Password of '${user.username}' set; their sessions have ended`);
  });
users
  .command('list')
  .description('List accounts (id, role, username, disabled)')
  .action(async () => {
    for (const u of await withContext((ctx) => listUsers(ctx.storage.db))) {
      console.log(`${u.id}  ${u.role.padEnd(5)}  ${u.username}${u.disabledAt === null ? '' : `  (disabled ${new Date(u.disabledAt).toISOString()})`}`);
    }
  });
users
  .command('disable')
  .description("Disable a user: ends their sessions, pauses their subscriptions, refuses their API keys and OAuth grants; nothing is deleted")
  .requiredOption('-u, --username <name>')
  .action(async (opts) => {
    const done = await withContext(async (ctx) => disableUser(ctx.storage, await userId(ctx, opts.username)));
    console.log(`Disabled '${done.user.username}': ${plural(done.endedSessions, 'session')} ended, ${plural(done.pausedSubscriptions, 'subscription')} paused`);
    console.log(`A serving relay refuses their API keys within AUTH_CACHE_SECONDS; 'users enable -u ${done.user.username}' undoes this`);
  });
users
  .command('enable')
  .description('Enable a disabled user: their API keys, OAuth grants and connections work again (paused subscriptions stay paused)')
  .requiredOption('-u, --username <name>')
  .action(async (opts) => {
    const user = await withContext(async (ctx) => enableUser(ctx.storage.db, await userId(ctx, opts.username)));
    console.log(`Enabled '${user.username}'; they resume the subscriptions they still want in the dashboard`);
  });
users
  .command('set-role')
  .description("Make a user an admin (sees every user's request log) or a plain user")
  .requiredOption('-u, --username <name>')
  .addOption(new Option('--role <role>').choices(['admin', 'user']).makeOptionMandatory())
  .action(async (opts) => {
    const user = await withContext(async (ctx) => setUserRole(ctx.storage, await userId(ctx, opts.username), opts.role));
    console.log(`'${user.username}' is now ${user.role === 'admin' ? 'an admin' : 'a user'}`);
  });
users
  .command('delete')
  .description('Delete a user and all they own: API keys, Odoo connections, subscriptions, apps (not undoable; disable is)')
  .requiredOption('-u, --username <name>')
  .option('--yes', 'confirm: without it nothing is deleted and what would be is listed')
  .action(async (opts) => {
    const deleted = await withContext(async (ctx) => {
      const id = await userId(ctx, opts.username);
      if (opts.yes) return deleteUser(ctx, id);
      // Not an invitation to run again with --yes that would then be refused.
      await keepAnAdmin(ctx.storage.db, (await findUserById(ctx.storage.db, id))!, 'delete');
      const owned = holdingsText(await holdingsOf(ctx.storage.db, id));
      throw new RelayError('invalid_request', `Deleting '${opts.username}' also deletes their ${owned}. Run again with --yes to delete, or use 'users disable' to keep them`);
    });
    const paused = deleted.pausedSubscriptions;
    console.log(
      `Deleted '${deleted.user.username}' with their ${holdingsText(deleted)}` +
        (paused ? `; ${plural(paused, "other user's subscription", "other users' subscriptions")} made by those apps paused` : ''),
    );
  });

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** What deleting a user takes with it, in words. */
function holdingsText(h: AccountHoldings): string {
  return `${plural(h.apiKeys, 'API key')}, ${plural(h.connections, 'Odoo connection')}, ${plural(h.subscriptions, 'subscription')} and ${plural(h.apps, 'app')}`;
}

const keys = program.command('keys').description('API keys for the webhook endpoint');
keys
  .command('create')
  .description('Create a key (printed once) acting on its owner\'s default Odoo connection')
  .requiredOption('-u, --user <username>', 'owner of the key')
  .requiredOption('-n, --name <name>')
  .option('-s, --scopes <list>', `comma-separated: ${SCOPES.join(', ')}`, 'webhook')
  .option('--rate-limit <perMinute>', 'requests per minute')
  .option('--models <list>', 'allow-list of models (comma-separated, sale.* wildcards)')
  .option('--methods <list>', 'allow-list of methods (comma-separated)')
  .option('--hmac', 'require an HMAC signature; prints the secret once')
  .option('--expires <iso-date>', 'expiry date')
  .action(async (opts) => {
    const created = await withContext(async (ctx) =>
      createApiKey(
        ctx.storage.db,
        ctx.box,
        {
          userId: await userId(ctx, opts.user),
          name: opts.name,
          scopes: scopesOption(opts.scopes),
          rateLimit: numberOption('--rate-limit', opts.rateLimit),
          allowedModels: allowListOption('--models', opts.models),
          allowedMethods: allowListOption('--methods', opts.methods),
          hmac: Boolean(opts.hmac),
          expiresAt: opts.expires ? Date.parse(opts.expires) : null,
        },
        ctx.config.defaultRateLimit,
      ),
    );
    console.log(`API key (shown once, store it now): ${created.key}`);
    if (created.hmacSecret) console.log(`HMAC secret (shown once): ${created.hmacSecret}`);
    console.log(`id: ${created.apiKey.id}  prefix: ${created.apiKey.prefix}`);
  });
keys
  .command('list')
  .description('List keys (prefix, state, scopes, rate limit, HMAC, name), never the keys themselves')
  .option('-u, --user <username>')
  .action(async (opts) => {
    const rows = await withContext(async (ctx) => listApiKeys(ctx.storage.db, opts.user ? await userId(ctx, opts.user) : undefined));
    for (const k of rows) {
      const state = k.revokedAt ? 'revoked' : k.expiresAt && k.expiresAt < Date.now() ? 'expired' : 'active';
      console.log(`${k.id}  ${k.prefix}…  ${state.padEnd(7)}  ${k.scopes.join(',').padEnd(12)}  ${k.rateLimit}/min  hmac:${k.hmacEnabled ? 'on' : 'off'}  ${k.name}`);
    }
    if (rows.length === 0) console.log('No API keys.');
  });
keys
  .command('hmac <id>')
  .description('Turn HMAC signing on for a key with a new secret (printed once; also rotates it), or off')
  .addOption(new Option('--on', 'require signed requests, with a new secret').conflicts('off'))
  .addOption(new Option('--off', 'stop requiring signatures'))
  .action(async (id: string, opts: { on?: boolean; off?: boolean }) => {
    if (!opts.on && !opts.off) throw new RelayError('invalid_request', 'Say --on (a new secret) or --off', { field: 'on' });
    const { apiKey, hmacSecret } = await withContext((ctx) => setApiKeyHmac(ctx.storage.db, ctx.box, id, undefined, opts.on === true));
    if (hmacSecret) {
      console.log(`HMAC on for ${apiKey.id} (${apiKey.prefix}…); secret (shown once): ${hmacSecret}`);
      console.log('Requests must now carry X-HMAC-Signature; a serving relay applies it within AUTH_CACHE_SECONDS');
    } else console.log(`HMAC off for ${apiKey.id} (${apiKey.prefix}…)`);
  });
keys
  .command('revoke <id>')
  .description('Revoke a key at once (its id, key_…, from keys list)')
  .action(async (id: string) => {
    const key = await withContext((ctx) => revokeApiKey(ctx.storage.db, id));
    console.log(`Revoked ${key.id} (${key.prefix}…)`);
  });

const connections = program.command('connections').description("A user's Odoo connection");
connections
  .command('set')
  .description("Save a user's default Odoo connection, after logging in to Odoo with it")
  .requiredOption('-u, --user <username>')
  .requiredOption('--url <url>', 'Odoo base URL, e.g. https://mycompany.odoo.com')
  .requiredOption('--db <database>')
  .requiredOption('--login <login>')
  .option('--secret-stdin', 'read the Odoo password or API key from standard input')
  .addOption(new Option('--protocol <protocol>', 'default: the saved one, auto for a new connection').choices(['auto', 'jsonrpc', 'json2']))
  .option('--timeout <ms>', 'per-call timeout in ms (default: the saved one, 30000 for a new connection)')
  .option('--max-concurrent <n>', 'calls in flight to this Odoo at once (default: the saved one, 4 for a new connection)')
  .action(async (opts) => {
    const secret = opts.secretStdin ? await readStdin() : process.env.ODOO_SECRET;
    const { conn, check } = await withContext(async (ctx) => {
      const user = await userId(ctx, opts.user);
      const saved = await resolveConnection(ctx.storage.db, user, null);
      // Run again to change one thing (a new password, most often), the command keeps what it
      // is not told: the secret, and the name, protocol and limits tuned here or in the dashboard.
      const input = {
        // A name given in the dashboard stays; one that was only the old URL's host follows the URL.
        name: saved && saved.connection.name !== new URL(saved.connection.url).host ? saved.connection.name : undefined,
        url: opts.url,
        database: opts.db,
        login: opts.login,
        secret: secret || undefined,
        protocol: opts.protocol ?? saved?.connection.protocol,
        timeoutMs: numberOption('--timeout', opts.timeout) ?? saved?.connection.timeoutMs,
        maxConcurrent: numberOption('--max-concurrent', opts.maxConcurrent) ?? saved?.connection.maxConcurrent,
      };
      // As the dashboard's Save: credentials Odoo refuses are not saved; an Odoo that cannot be asked is a warning.
      const check = await checkConnectionToSave(ctx.box, input, saved, ctx.config.odooAllowedOrigins);
      return { conn: await saveDefaultConnection(ctx.storage.db, ctx.box, user, input), check };
    });
    console.log(`Saved connection ${conn.id}: ${conn.login}@${conn.url} db=${conn.database} protocol=${conn.protocol}`);
    if (check.ok) console.log(`Logged in: Odoo ${check.result.serverVersion} over ${check.result.protocol}, uid ${check.result.uid}`);
    else console.error(`warning (${check.warning.code}): saved without logging in: ${check.warning.message}`);
  });
connections
  .command('test')
  .description("Log in to Odoo with a user's default connection and print its version and uid")
  .requiredOption('-u, --user <username>')
  .action(async (opts) => {
    await withContext(async (ctx) => {
      const found = await resolveConnection(ctx.storage.db, await userId(ctx, opts.user), null);
      if (!found) throw new RelayError('no_odoo_connection');
      const t = await ctx.odooClients.get(found.connection, found.secretEnc).testConnection();
      console.log(`Connected: Odoo ${t.serverVersion} over ${t.protocol}, uid ${t.uid}, ${t.latencyMs.toFixed(0)} ms`);
    });
  });

const subscriptions = program.command('subscriptions').description('Outbound event subscriptions (Odoo record changes → webhooks)');
subscriptions
  .command('list')
  .description('List subscriptions (id, model, events, capture, format, state, target)')
  .option('-u, --user <username>')
  .action(async (opts) => {
    await withContext(async (ctx) => {
      const { listSubscriptions } = await import('./events/subscriptions-store.js');
      const rows = await listSubscriptions({ db: ctx.storage.db, box: ctx.box }, opts.user ? await userId(ctx, opts.user) : undefined);
      for (const s of rows) {
        const state = s.active ? 'active' : `disabled${s.disabledReason ? ` (${s.disabledReason})` : ''}`;
        console.log(`${s.id}  ${s.model.padEnd(20)}  ${s.events.join(',').padEnd(19)}  ${s.captureEffective.padEnd(4)}  ${s.format}  ${state}  ${s.targetUrl}`);
      }
      if (rows.length === 0) console.log('No subscriptions.');
    });
  });
subscriptions
  .command('create')
  .description('Subscribe a URL to record changes of one model; prints the signing secret once')
  .requiredOption('-u, --user <username>', 'owner (acts on their default Odoo connection)')
  .requiredOption('-m, --model <model>', 'Odoo model, e.g. res.partner')
  .requiredOption('--url <url>', 'target URL the webhooks are POSTed to')
  .option('-e, --events <list>', 'comma-separated: create, write, unlink', 'create,write,unlink')
  .option('--domain <json>', 'Odoo domain filter as JSON, e.g. \'[["customer_rank",">",0]]\'')
  .option('--changed-fields <list>', 'writes count only when one of these fields changed')
  .option('--fields <list>', 'fields included in the payload (default: all)')
  .addOption(new Option('--format <format>').choices(['json', 'xml']).default('json'))
  .addOption(new Option('--capture <mode>').choices(['auto', 'push', 'poll']).default('auto'))
  .option('--timeout <ms>', 'per-attempt timeout', '5000')
  .option('--retries <n>', 'retries after the first attempt', '5')
  .option('--header <name:value...>', 'custom header sent with every delivery (repeatable)')
  .action(async (opts) => {
    const list = (v?: string) => (v ? commaList(v) : undefined);
    const headers = opts.header ? Object.fromEntries((opts.header as string[]).map(headerOption)) : undefined;
    const domain = opts.domain === undefined ? undefined : jsonOption('--domain', opts.domain);
    const created = await withContext(async (ctx) => {
      const owner = await userId(ctx, opts.user);
      return ctx.events.createSubscription(owner, {
        model: opts.model,
        targetUrl: opts.url,
        events: list(opts.events),
        domain,
        changedFields: list(opts.changedFields),
        fields: list(opts.fields),
        format: opts.format,
        captureMode: opts.capture,
        timeoutMs: numberOption('--timeout', opts.timeout as string),
        retries: numberOption('--retries', opts.retries as string),
        headers,
      });
    });
    console.log(`Created ${created.subscription.id}: ${created.subscription.model} → ${created.subscription.targetUrl} (capture: ${created.subscription.captureEffective}${created.subscription.captureNote ? `, ${created.subscription.captureNote}` : ''})`);
    console.log(`Signing secret (shown once, store it now): ${created.secret}`);
  });
subscriptions
  .command('delete <id>')
  .description('Delete a subscription and the automation rules the relay created for it in Odoo')
  .action(async (id: string) => {
    await withContext((ctx) => ctx.events.deleteSubscription(undefined, id));
    console.log(`Deleted ${id}`);
  });

/** `--header 'Name: value'` → [name, value]; refused without the colon (a whole value taken for a name). */
function headerOption(text: string): [string, string] {
  const colon = text.indexOf(':');
  if (colon <= 0) throw new RelayError('invalid_request', `--header must be 'Name: value', got '${text.slice(0, 64)}'`, { field: 'headers' });
  return [text.slice(0, colon).trim(), text.slice(colon + 1).trim()];
}

/**
 * A whole-number option, refused with its name: Number() read '1e3' as 1000 and 'abc' as NaN,
 * which the store then refused under its own field name (timeoutMs), not the flag's.
 */
function numberOption(flag: string, text: string): number;
function numberOption(flag: string, text: string | undefined): number | undefined;
function numberOption(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text.trim())) throw new RelayError('invalid_request', `${flag} must be a whole number in digits, got '${text.slice(0, 40)}'`, { field: flag.slice(2) });
  return Number(text.trim());
}

/**
 * --models / --methods: an allow-list, or none when the option is left out. Given but empty
 * (`--methods ''`), it made a key with no allow-list at all: the opposite of what was asked.
 */
function allowListOption(flag: string, text: string | undefined): string[] | null {
  return text === undefined ? null : nonEmptyList(flag, text, 'needs at least one entry; leave it out for a key without that allow-list');
}

/** --scopes: at least one; an empty list is not read as the default. */
function scopesOption(text: string): Scope[] {
  return nonEmptyList('--scopes', text, `needs at least one of ${SCOPES.join(', ')}`) as Scope[];
}

/** `a, b,,c` as its entries. */
function commaList(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** The entries of a list option given on the command line, refused when it holds none. */
function nonEmptyList(flag: string, text: string, refusal: string): string[] {
  const entries = commaList(text);
  if (entries.length === 0) throw new RelayError('invalid_request', `${flag} ${refusal}`, { field: flag.slice(2) });
  return entries;
}

/** A JSON option, refused with its name rather than a parser's stack trace. */
function jsonOption(flag: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new RelayError('invalid_request', `${flag} must be JSON (${(err as Error).message})`, { field: flag.slice(2) });
  }
}

program.parseAsync().catch((err) => {
  // A setting found wrong after loading (the master key against the database): exits like loadConfig's.
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(2);
  }
  if (err instanceof RelayError || err instanceof OdooError) {
    console.error(`error (${err.code}): ${err.message}`);
    process.exit(1);
  }
  if (err instanceof StartupError) {
    console.error(`error (${err.code}): ${err.message}`);
    process.exit(2);
  }
  // Unknown: shown whole, stack included, but never with a secret of the environment in it.
  console.error(environmentSecretMask(process.env)(inspect(err)));
  process.exit(1);
});
