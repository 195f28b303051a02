import { type Kysely, type Migration, type MigrationProvider } from 'kysely';
import type { Dialect } from './database.js';

/**
 * One set of migrations for SQLite and PostgreSQL. Only the auto-increment id differs, so
 * each migration receives the dialect; everything else uses portable types (text, integer,
 * bigint for epoch ms, 0/1 for booleans).
 */
function migrations(dialect: Dialect): Record<string, Migration> {
  const serialId = dialect === 'postgres' ? 'bigserial' : 'integer';
  return {
    '0001_core': {
      async up(db: Kysely<any>) {
        await db.schema
          .createTable('users')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('username', 'text', (c) => c.notNull().unique())
          .addColumn('password_hash', 'text', (c) => c.notNull())
          .addColumn('role', 'text', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('sessions')
          .addColumn('id_hash', 'text', (c) => c.primaryKey())
          .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
          .addColumn('csrf_token', 'text', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('expires_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('odoo_connections')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('url', 'text', (c) => c.notNull())
          .addColumn('database', 'text', (c) => c.notNull())
          .addColumn('login', 'text', (c) => c.notNull())
          .addColumn('secret_enc', 'text', (c) => c.notNull())
          .addColumn('protocol', 'text', (c) => c.notNull())
          .addColumn('timeout_ms', 'integer', (c) => c.notNull())
          .addColumn('max_concurrent', 'integer', (c) => c.notNull())
          .addColumn('is_default', 'integer', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('odoo_connections_user').on('odoo_connections').column('user_id').execute();
        await db.schema
          .createTable('api_keys')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
          .addColumn('connection_id', 'text', (c) => c.references('odoo_connections.id').onDelete('set null'))
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('prefix', 'text', (c) => c.notNull())
          .addColumn('key_hash', 'text', (c) => c.notNull().unique())
          .addColumn('scopes', 'text', (c) => c.notNull())
          .addColumn('allowed_models', 'text')
          .addColumn('allowed_methods', 'text')
          .addColumn('rate_limit', 'integer', (c) => c.notNull())
          .addColumn('hmac_secret_enc', 'text')
          .addColumn('expires_at', 'bigint')
          .addColumn('revoked_at', 'bigint')
          .addColumn('last_used_at', 'bigint')
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('api_keys_user').on('api_keys').column('user_id').execute();
        await db.schema
          .createTable('request_log')
          .addColumn('id', serialId, (c) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()))
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('request_id', 'text', (c) => c.notNull())
          .addColumn('user_id', 'text')
          .addColumn('api_key_id', 'text')
          .addColumn('key_prefix', 'text')
          .addColumn('auth_method', 'text')
          .addColumn('action', 'text')
          .addColumn('model', 'text')
          .addColumn('method', 'text')
          .addColumn('status', 'integer', (c) => c.notNull())
          .addColumn('code', 'text')
          .addColumn('duration_ms', 'real', (c) => c.notNull())
          .addColumn('odoo_ms', 'real')
          .addColumn('ip', 'text')
          .execute();
        await db.schema.createIndex('request_log_created').on('request_log').column('created_at').execute();
        await db.schema.createIndex('request_log_user_created').on('request_log').columns(['user_id', 'created_at']).execute();
        await db.schema
          .createTable('idempotency_keys')
          .addColumn('scope', 'text', (c) => c.notNull())
          .addColumn('idem_key', 'text', (c) => c.notNull())
          .addColumn('request_hash', 'text', (c) => c.notNull())
          .addColumn('status', 'integer')
          .addColumn('response', 'text')
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('expires_at', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('idempotency_keys_pk', ['scope', 'idem_key'])
          .execute();
        await db.schema.createIndex('idempotency_keys_expires').on('idempotency_keys').column('expires_at').execute();
        await db.schema
          .createTable('hmac_nonces')
          .addColumn('key_id', 'text', (c) => c.notNull())
          .addColumn('signature', 'text', (c) => c.notNull())
          .addColumn('expires_at', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('hmac_nonces_pk', ['key_id', 'signature'])
          .execute();
        await db.schema.createIndex('hmac_nonces_expires').on('hmac_nonces').column('expires_at').execute();
      },
    },
    // rate-limiter-flexible's own table layout, created here so that several relay instances
    // starting together never race to create it.
    '0002_rate_limits': {
      async up(db: Kysely<any>) {
        await db.schema
          .createTable('rate_limits')
          .addColumn('key', 'text', (c) => c.primaryKey())
          .addColumn('points', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('expire', 'bigint')
          .execute();
      },
    },
  };
}

export function migrationProvider(dialect: Dialect): MigrationProvider {
  return { getMigrations: async () => migrations(dialect) };
}
