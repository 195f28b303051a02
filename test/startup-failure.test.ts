import { describe, expect, it } from 'vitest';
import { environmentSecretMask, explainStartupFailure, type StartupSettings } from '../src/startup-failure.js';

const sqlite: StartupSettings = { dataDir: '/srv/relay/data', host: '127.0.0.1', port: 8787, databaseUrl: undefined };
const postgres: StartupSettings = { ...sqlite, databaseUrl: 'postgres://relay:pa%2Fss-w0rd@db.internal:6543/relaydb' };
const systemError = (fields: Record<string, unknown>) => Object.assign(new Error('raw message pa/ss-w0rd'), fields);

describe('explainStartupFailure', () => {
  it('names DATA_DIR for a file system refusal in, under or above the folder, and nothing else', () => {
    expect(explainStartupFailure(systemError({ code: 'EACCES', syscall: 'open', path: '/srv/relay/data/relay.lock' }), sqlite)).toMatchObject({ code: 'data_dir_unusable' });
    expect(explainStartupFailure(systemError({ code: 'EACCES', syscall: 'mkdir', path: '/srv/relay' }), sqlite)?.message).toMatch(/^DATA_DIR \/srv\/relay\/data cannot be used: permission denied \(\/srv\/relay\)/);
    expect(explainStartupFailure(systemError({ code: 'EEXIST', syscall: 'mkdir', path: '/srv/relay/data' }), sqlite)?.message).toContain('is a file, not a folder');
    expect(explainStartupFailure(Object.assign(new Error('unable to open database file'), { code: 'SQLITE_CANTOPEN' }), sqlite)?.code).toBe('data_dir_unusable');
    // Another folder's refusal is not DATA_DIR's.
    expect(explainStartupFailure(systemError({ code: 'EACCES', syscall: 'open', path: '/srv/relay/data-old/x' }), sqlite)).toBeUndefined();
    expect(explainStartupFailure(systemError({ code: 'EACCES', syscall: 'open', path: '/usr/lib/web/index.html' }), sqlite)).toBeUndefined();
  });

  it('names PORT or HOST for a listener refusal', () => {
    expect(explainStartupFailure(systemError({ code: 'EADDRINUSE', syscall: 'listen' }), sqlite)?.message).toMatch(/^PORT 8787 on HOST 127\.0\.0\.1 is in use/);
    expect(explainStartupFailure(systemError({ code: 'EADDRNOTAVAIL', syscall: 'listen' }), sqlite)?.message).toMatch(/^HOST 127\.0\.0\.1 is not an address/);
    expect(explainStartupFailure(systemError({ code: 'EACCES', syscall: 'listen' }), sqlite)?.message).toMatch(/^PORT 8787 needs privileges/);
  });

  it('names DATABASE_URL by host, port, database and user, never by its password, and looks through a wrapping error', () => {
    const wrapped = new Error('Migration (unknown) failed: connect ECONNREFUSED', { cause: systemError({ code: 'ECONNREFUSED', syscall: 'connect' }) });
    const refused = explainStartupFailure(wrapped, postgres)!;
    expect(refused.code).toBe('database_unreachable');
    expect(refused.message).toMatch(/^DATABASE_URL: cannot reach PostgreSQL at db\.internal:6543\/relaydb: connection refused/);
    const password = explainStartupFailure(systemError({ code: '28P01' }), postgres)!;
    expect(password.message).toContain('refused the password of user "relay"');
    for (const e of [refused, password]) expect(e.message).not.toMatch(/pa.2?F?ss-w0rd/);
    // HOST's own name that does not resolve is HOST's, not the database's.
    expect(explainStartupFailure(systemError({ code: 'ENOTFOUND', syscall: 'getaddrinfo', hostname: 'relay.local' }), { ...postgres, host: 'relay.local' })?.message).toMatch(/^HOST relay\.local does not resolve/);
    // A refused connection means nothing on SQLite.
    expect(explainStartupFailure(systemError({ code: 'ECONNREFUSED', syscall: 'connect' }), sqlite)).toBeUndefined();
  });

  it('leaves any other error to be shown whole', () => {
    expect(explainStartupFailure(new TypeError('x is undefined'), sqlite)).toBeUndefined();
    expect(explainStartupFailure('a string', postgres)).toBeUndefined();
  });
});

describe('environmentSecretMask', () => {
  it("masks DATABASE_URL's password (as written and decoded), MASTER_KEY and CHAT_API_KEY", () => {
    const mask = environmentSecretMask({ DATABASE_URL: postgres.databaseUrl, MASTER_KEY: 'k'.repeat(43) + '=', CHAT_API_KEY: 'sk-chat-secret' });
    const masked = mask(`url pa%2Fss-w0rd, decoded pa/ss-w0rd, key ${'k'.repeat(43)}=, chat sk-chat-secret`);
    expect(masked).not.toMatch(/w0rd|kkkk|sk-chat/);
  });
});
