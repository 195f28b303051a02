import { sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';
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
    // Outbound events (issue #5): subscriptions, their capture state, the transactional outbox
    // (events + deliveries) and the per-attempt delivery log.
    '0003_events': {
      async up(db: Kysely<any>) {
        await db.schema
          .createTable('subscriptions')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
          .addColumn('connection_id', 'text', (c) => c.notNull().references('odoo_connections.id').onDelete('cascade'))
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('model', 'text', (c) => c.notNull())
          .addColumn('events', 'text', (c) => c.notNull())
          .addColumn('domain', 'text')
          .addColumn('changed_fields', 'text')
          .addColumn('fields', 'text')
          .addColumn('target_url', 'text', (c) => c.notNull())
          .addColumn('format', 'text', (c) => c.notNull())
          .addColumn('timeout_ms', 'integer', (c) => c.notNull())
          .addColumn('retries', 'integer', (c) => c.notNull())
          .addColumn('secret_enc', 'text', (c) => c.notNull())
          .addColumn('previous_secret_enc', 'text')
          .addColumn('previous_secret_until', 'bigint')
          .addColumn('headers_enc', 'text')
          .addColumn('capture_mode', 'text', (c) => c.notNull())
          .addColumn('capture_effective', 'text', (c) => c.notNull())
          .addColumn('capture_note', 'text')
          .addColumn('active', 'integer', (c) => c.notNull())
          .addColumn('consecutive_failures', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('disabled_at', 'bigint')
          .addColumn('disabled_reason', 'text')
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('subscriptions_user').on('subscriptions').column('user_id').execute();
        // Per-subscription capture state: poll cursor, known ids (for create/write and deletions),
        // and the push rules the relay owns in Odoo with the hashes of their ingest tokens.
        await db.schema
          .createTable('subscription_capture')
          .addColumn('subscription_id', 'text', (c) => c.primaryKey().references('subscriptions.id').onDelete('cascade'))
          .addColumn('cursor_write_date', 'text')
          .addColumn('cursor_ids', 'text', (c) => c.notNull())
          .addColumn('known_ids', 'text')
          .addColumn('next_poll_at', 'bigint', (c) => c.notNull())
          .addColumn('next_sweep_at', 'bigint', (c) => c.notNull())
          .addColumn('last_poll_at', 'bigint')
          .addColumn('last_error', 'text')
          .addColumn('push_rules', 'text')
          .addColumn('locked_until', 'bigint')
          .execute();
        await db.schema
          .createTable('ingest_tokens')
          .addColumn('token_hash', 'text', (c) => c.primaryKey())
          .addColumn('subscription_id', 'text', (c) => c.notNull().references('subscriptions.id').onDelete('cascade'))
          .addColumn('trigger', 'text', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('ingest_tokens_subscription').on('ingest_tokens').column('subscription_id').execute();
        // Last-known values of the watched fields, only for subscriptions with a changed-fields filter.
        await db.schema
          .createTable('record_snapshots')
          .addColumn('subscription_id', 'text', (c) => c.notNull().references('subscriptions.id').onDelete('cascade'))
          .addColumn('record_id', 'integer', (c) => c.notNull())
          .addColumn('vals', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('record_snapshots_pk', ['subscription_id', 'record_id'])
          .execute();
        await db.schema
          .createTable('events')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('subscription_id', 'text', (c) => c.notNull().references('subscriptions.id').onDelete('cascade'))
          .addColumn('model', 'text', (c) => c.notNull())
          .addColumn('record_id', 'integer', (c) => c.notNull())
          .addColumn('event', 'text', (c) => c.notNull())
          .addColumn('source', 'text', (c) => c.notNull())
          .addColumn('payload', 'text', (c) => c.notNull())
          .addColumn('occurred_at', 'bigint', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('events_subscription_created').on('events').columns(['subscription_id', 'created_at']).execute();
        await db.schema
          .createTable('deliveries')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('event_id', 'text', (c) => c.notNull().references('events.id').onDelete('cascade'))
          .addColumn('subscription_id', 'text', (c) => c.notNull().references('subscriptions.id').onDelete('cascade'))
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('attempts', 'integer', (c) => c.notNull())
          .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
          .addColumn('locked_by', 'text')
          .addColumn('locked_until', 'bigint')
          .addColumn('last_status', 'integer')
          .addColumn('last_error', 'text')
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .addColumn('delivered_at', 'bigint')
          .execute();
        await db.schema.createIndex('deliveries_due').on('deliveries').columns(['status', 'next_attempt_at']).execute();
        await db.schema.createIndex('deliveries_subscription').on('deliveries').columns(['subscription_id', 'status']).execute();
        await db.schema.createIndex('deliveries_event').on('deliveries').column('event_id').execute();
        await db.schema
          .createTable('delivery_attempts')
          .addColumn('id', serialId, (c) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()))
          .addColumn('delivery_id', 'text', (c) => c.notNull().references('deliveries.id').onDelete('cascade'))
          .addColumn('attempt', 'integer', (c) => c.notNull())
          .addColumn('worker', 'text', (c) => c.notNull())
          .addColumn('started_at', 'bigint', (c) => c.notNull())
          .addColumn('duration_ms', 'integer', (c) => c.notNull())
          .addColumn('status', 'integer')
          .addColumn('error', 'text')
          .addColumn('error_message', 'text')
          .addColumn('response_headers', 'text')
          .addColumn('response_body', 'text')
          .execute();
        await db.schema.createIndex('delivery_attempts_delivery').on('delivery_attempts').column('delivery_id').execute();
      },
    },
    '0004_apps': {
      async up(db: Kysely<any>) {
        // Third-party apps: one registration carries both the OAuth 2.0 client and the
        // OAuth 1.0a consumer. The client secret is only ever compared, so it is hashed; the
        // consumer secret is a signing key the relay must recompute signatures with, so it is
        // encrypted (AES-256-GCM, like HMAC secrets).
        await db.schema
          .createTable('apps')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('client_id', 'text', (c) => c.notNull().unique())
          .addColumn('client_type', 'text', (c) => c.notNull())
          .addColumn('client_secret_hash', 'text')
          .addColumn('consumer_key', 'text', (c) => c.notNull().unique())
          .addColumn('consumer_secret_enc', 'text', (c) => c.notNull())
          .addColumn('redirect_uris', 'text', (c) => c.notNull())
          .addColumn('scopes', 'text', (c) => c.notNull())
          .addColumn('allowed_models', 'text')
          .addColumn('allowed_methods', 'text')
          .addColumn('rate_limit', 'integer', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('apps_user').on('apps').column('user_id').execute();
        await db.schema.alterTable('request_log').addColumn('app_id', 'text').execute();
      },
    },
    '0005_oauth2': {
      async up(db: Kysely<any>) {
        // OAuth 2.0 authorization server. Every token and code is stored as its SHA-256 only;
        // rows die with their app or user (cascade), so deleting an app kills its tokens.
        // Pending authorization requests: what /oauth/authorize validated, awaiting consent.
        await db.schema
          .createTable('oauth2_requests')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('app_id', 'text', (c) => c.notNull().references('apps.id').onDelete('cascade'))
          .addColumn('redirect_uri', 'text', (c) => c.notNull())
          .addColumn('scopes', 'text', (c) => c.notNull())
          .addColumn('state', 'text')
          .addColumn('code_challenge', 'text')
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('expires_at', 'bigint', (c) => c.notNull())
          .execute();
        // Authorization codes: single use, bound to client, redirect URI, PKCE challenge, user, scopes.
        // family_id ties the code to the tokens issued from it (reuse revokes them).
        await db.schema
          .createTable('oauth2_codes')
          .addColumn('code_hash', 'text', (c) => c.primaryKey())
          .addColumn('app_id', 'text', (c) => c.notNull().references('apps.id').onDelete('cascade'))
          .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
          .addColumn('family_id', 'text', (c) => c.notNull())
          .addColumn('redirect_uri', 'text', (c) => c.notNull())
          .addColumn('scopes', 'text', (c) => c.notNull())
          .addColumn('code_challenge', 'text')
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('expires_at', 'bigint', (c) => c.notNull())
          .addColumn('used_at', 'bigint')
          .execute();
        // Access and refresh tokens. A refresh token that has been exchanged keeps its row with
        // rotated_at set until it expires: presenting it again is reuse, and revokes the family.
        await db.schema
          .createTable('oauth2_tokens')
          .addColumn('token_hash', 'text', (c) => c.primaryKey())
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('app_id', 'text', (c) => c.notNull().references('apps.id').onDelete('cascade'))
          .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
          .addColumn('family_id', 'text', (c) => c.notNull())
          .addColumn('scopes', 'text', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('expires_at', 'bigint', (c) => c.notNull())
          .addColumn('rotated_at', 'bigint')
          .execute();
        await db.schema.createIndex('oauth2_tokens_family').on('oauth2_tokens').column('family_id').execute();
        await db.schema.createIndex('oauth2_tokens_app_user').on('oauth2_tokens').columns(['app_id', 'user_id']).execute();
        await db.schema.createIndex('oauth2_tokens_expires').on('oauth2_tokens').column('expires_at').execute();
        // Revoked token families (reuse detected, refresh token revoked, access withdrawn). A
        // rotation racing a revocation checks this after inserting its tokens, so neither order
        // of the two leaves a live token behind. Kept until any token of the family would have expired.
        await db.schema
          .createTable('oauth2_revoked_families')
          .addColumn('family_id', 'text', (c) => c.primaryKey())
          .addColumn('revoked_at', 'bigint', (c) => c.notNull())
          .addColumn('expires_at', 'bigint', (c) => c.notNull())
          .execute();
        // What a user consented to, per app: the dashboard lists these as "authorized apps".
        await db.schema
          .createTable('oauth2_grants')
          .addColumn('app_id', 'text', (c) => c.notNull().references('apps.id').onDelete('cascade'))
          .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
          .addColumn('scopes', 'text', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('oauth2_grants_pk', ['app_id', 'user_id'])
          .execute();
        await db.schema.createIndex('oauth2_grants_user').on('oauth2_grants').column('user_id').execute();
      },
    },
    '0006_oauth1': {
      async up(db: Kysely<any>) {
        // OAuth 1.0a request and access tokens. The token value is looked up by its SHA-256
        // (like API keys); its secret is a signing key the relay recomputes signatures with,
        // so it is encrypted. A request token lives 10 minutes and is deleted when exchanged.
        await db.schema
          .createTable('oauth1_tokens')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('token_hash', 'text', (c) => c.notNull().unique())
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('app_id', 'text', (c) => c.notNull().references('apps.id').onDelete('cascade'))
          .addColumn('user_id', 'text', (c) => c.references('users.id').onDelete('cascade'))
          .addColumn('secret_enc', 'text', (c) => c.notNull())
          .addColumn('callback', 'text')
          .addColumn('verifier_hash', 'text')
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('expires_at', 'bigint')
          .addColumn('authorized_at', 'bigint')
          .execute();
        await db.schema.createIndex('oauth1_tokens_user').on('oauth1_tokens').columns(['user_id', 'kind']).execute();
        await db.schema.createIndex('oauth1_tokens_app').on('oauth1_tokens').column('app_id').execute();
        // Replay protection shared by every instance: one row per (consumer, token, timestamp,
        // nonce), kept until its timestamp leaves the accepted window.
        await db.schema
          .createTable('oauth1_nonces')
          .addColumn('consumer_key', 'text', (c) => c.notNull())
          .addColumn('token_hash', 'text', (c) => c.notNull())
          .addColumn('timestamp', 'bigint', (c) => c.notNull())
          .addColumn('nonce', 'text', (c) => c.notNull())
          .addColumn('expires_at', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('oauth1_nonces_pk', ['consumer_key', 'token_hash', 'timestamp', 'nonce'])
          .execute();
        await db.schema.createIndex('oauth1_nonces_expires').on('oauth1_nonces').column('expires_at').execute();
      },
    },
    '0007_oauth1_token_scopes': {
      async up(db: Kysely<any>) {
        // The scopes a user approved, kept with the OAuth 1.0a token: a token acts with these
        // (narrowed by the app's current scopes), so widening an app never widens tokens
        // already approved.
        await db.schema.alterTable('oauth1_tokens').addColumn('scopes', 'text').execute();
        // Existing tokens: nothing recorded what the user was shown. Their approval is known
        // only when the app has not been edited since (every edit moves updated_at): then the
        // app's scopes are what the consent page showed. Request tokens not yet approved take
        // the app's scopes, which their consent page will show. Everything else stays NULL and
        // is refused until the user approves the app again.
        const appOfToken = (eb: any) => eb.selectFrom('apps').whereRef('apps.id', '=', 'oauth1_tokens.app_id');
        await db
          .updateTable('oauth1_tokens')
          .set((eb: any) => ({ scopes: appOfToken(eb).select('apps.scopes') }))
          .where((eb: any) =>
            eb.or([eb('authorized_at', 'is', null), eb.exists(appOfToken(eb).select('apps.id').whereRef('apps.updated_at', '<', 'oauth1_tokens.authorized_at'))]),
          )
          .execute();
      },
    },
    '0008_events_record_order': {
      async up(db: Kysely<any>) {
        // The delivery claim looks up earlier changes of the same record still undelivered.
        await db.schema.createIndex('events_subscription_record').on('events').columns(['subscription_id', 'record_id']).execute();
      },
    },
    '0009_one_default_connection': {
      async up(db: Kysely<any>) {
        // Two first saves at once could each insert a default connection; keep the latest
        // saved one as the default, then let the database refuse a second one.
        await sql`
          UPDATE odoo_connections SET is_default = 0
          WHERE is_default = 1 AND id NOT IN (
            SELECT id FROM (
              SELECT id, ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY updated_at DESC, id DESC) AS n
              FROM odoo_connections WHERE is_default = 1
            ) ranked WHERE n = 1
          )`.execute(db);
        await sql`CREATE UNIQUE INDEX odoo_connections_one_default ON odoo_connections (user_id) WHERE is_default = 1`.execute(db);
      },
    },
    '0010_snapshot_write_date': {
      async up(db: Kysely<any>) {
        // Which version of the record a snapshot holds, so an older read never replaces a newer one.
        await db.schema.alterTable('record_snapshots').addColumn('write_date', 'text').execute();
      },
    },
    '0011_capture_lease_owner': {
      async up(db: Kysely<any>) {
        // Who holds a subscription's capture lease, so a holder renews, checks and gives up only its own.
        await db.schema.alterTable('subscription_capture').addColumn('locked_by', 'text').execute();
      },
    },
    '0012_master_key_check': {
      async up(db: Kysely<any>) {
        // A known text sealed with the master key, so a start with another key is refused
        // instead of running with secrets it cannot open (see src/secrets/key-check.ts).
        await db.schema
          .createTable('master_key_check')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('sealed', 'text', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .execute();
      },
    },
    '0013_capture_last_push': {
      async up(db: Kysely<any>) {
        // When Odoo's last push post reached any instance: a change only the reconcile poll found
        // proves Odoo unreachable only if no post arrived since (the hint may have died with its instance).
        await db.schema.alterTable('subscription_capture').addColumn('last_push_at', 'bigint').execute();
      },
    },
    '0014_delivery_format': {
      async up(db: Kysely<any>) {
        // The format a delivery was first sent in, kept for its retries and replays: one
        // webhook-id, one body, even when the subscription's format changes in between.
        await db.schema.alterTable('deliveries').addColumn('format', 'text').execute();
      },
    },
    '0015_subscription_app': {
      async up(db: Kysely<any>) {
        // The third-party app that created a subscription: revoking the app's access pauses it.
        await db.schema.alterTable('subscriptions').addColumn('app_id', 'text').execute();
      },
    },
    '0016_user_disabled': {
      async up(db: Kysely<any>) {
        // When an administrator disabled the account: every credential acting for it is refused
        // while it is set, and all of them work again once it is cleared.
        await db.schema.alterTable('users').addColumn('disabled_at', 'bigint').execute();
      },
    },
    '0017_known_since': {
      async up(db: Kysely<any>) {
        // The second the known-id snapshot was taken at: an unannounced record created before it
        // was outside the domain then (a write brings it in), one created after it is new. Poll
        // capture used its moving cursor instead, and reported records created, then written
        // before their creation was polled, as updates. Existing subscriptions start from where
        // their cursor stands now, which is what they compared with until today.
        await db.schema.alterTable('subscription_capture').addColumn('known_since', 'text').execute();
        await db.updateTable('subscription_capture').set({ known_since: sql`cursor_write_date` }).where('known_ids', 'is not', null).execute();
      },
    },
    '0018_record_id_bigint': {
      async up(db: Kysely<any>) {
        // Odoo's record ids are PostgreSQL serials of its own, which may pass 2^31. On PostgreSQL
        // 'integer' is 32 bits: the first such record failed every poll of its subscription, for
        // good, and no change of any record went out any more. SQLite's integer is 64 bits already.
        if (dialect !== 'postgres') return;
        for (const table of ['events', 'record_snapshots']) {
          await db.schema.alterTable(table).alterColumn('record_id', (c) => c.setDataType('bigint')).execute();
        }
      },
    },
  };
}

export function migrationProvider(dialect: Dialect): MigrationProvider {
  return { getMigrations: async () => migrations(dialect) };
}
