/**
 * The one-time setup step creates exactly one admin, however many setup requests arrive at once;
 * and two accounts created at once under one name give one account and a clear conflict.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { startRelay } from '../../src/server.js';
import { createUser } from '../../src/auth/users.js';
import { httpPost } from '../helpers/relay.js';
import { createTestDatabase } from '../helpers/postgres.js';

describe.each([
  ['SQLite', async () => ({})],
  ['PostgreSQL', async () => ({ DATABASE_URL: await createTestDatabase() })],
])('first-run setup on %s', (_name, databaseEnv) => {
  it('answers one of eight simultaneous setup requests and refuses the others; one account per name', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'relay-setup-'));
    const relay = await startRelay(loadConfig({ DATA_DIR: dataDir, PORT: '0', ...(await databaseEnv()) }), pino({ level: 'silent' }));
    try {
      const answers = await Promise.all(
        Array.from({ length: 8 }, (_, i) => httpPost(`${relay.url}/api/auth/setup`, { username: `admin${i}`, password: 'a long enough password' })),
      );
      const statuses = answers.map((a) => a.status).sort();
      expect(statuses).toEqual([200, 403, 403, 403, 403, 403, 403, 403]);
      expect(answers.filter((a) => a.status === 403).every((a) => a.body.code === 'setup_already_done')).toBe(true);
      const winner = answers.find((a) => a.status === 200)!;
      const users = await relay.ctx.storage.db.selectFrom('users').select(['username', 'role']).execute();
      expect(users).toEqual([{ username: winner.body.user.username, role: 'admin' }]);

      // Accounts (the CLI's users create): the name check and the insert race; the loser is told.
      const outcomes = await Promise.allSettled([1, 2, 3].map(() => createUser(relay.ctx.storage.db, { username: 'same-name', password: 'a long enough password' })));
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      for (const o of outcomes.filter((o) => o.status === 'rejected')) {
        expect((o as PromiseRejectedResult).reason).toMatchObject({ code: 'conflict', details: { field: 'username' } });
      }
      expect(await relay.ctx.storage.db.selectFrom('users').select('id').where('username', '=', 'same-name').execute()).toHaveLength(1);
      // A name differing only in case is the same name (on both databases: lower() in the query).
      await expect(createUser(relay.ctx.storage.db, { username: 'Same-Name', password: 'a long enough password' })).rejects.toMatchObject({
        code: 'conflict',
        message: "Username is already taken (as 'same-name')",
      });
    } finally {
      await relay.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
