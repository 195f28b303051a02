import crypto from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';

/** A fresh, empty database in the test run's PostgreSQL server; returns its URL. */
export async function createTestDatabase(): Promise<string> {
  const base = inject('postgresUrl');
  const name = `relay_${crypto.randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: `${base}/postgres` });
  await client.connect();
  await client.query(`CREATE DATABASE ${name}`);
  await client.end();
  return `${base}/${name}`;
}
