import type { Kysely } from 'kysely';
import type { Database } from '../../src/storage/schema.js';

/**
 * The database, with the first read of `table` held after it answered until `release()`: the
 * moment another writer can change the row between that read and the write built on it, step
 * by step instead of by timing. `read` resolves when the hold begins. Held above Kysely, not in
 * a plugin: a plugin's result hook still holds the connection, and SQLite has only one, so the
 * other writer could never run.
 */
export function holdingFirstRead(db: Kysely<Database>, table: keyof Database) {
  let reached!: () => void;
  let release!: () => void;
  const read = new Promise<void>((resolve) => (reached = resolve));
  const gate = new Promise<void>((resolve) => (release = resolve));
  let held = false;
  // Each builder method returns a new builder: keep wrapping until the query runs.
  const holding = (builder: any): any =>
    new Proxy(builder, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target);
        if (typeof value !== 'function') return value;
        if (prop === 'executeTakeFirst' || prop === 'execute') {
          return async (...args: unknown[]) => {
            const answer = await value.apply(target, args);
            if (!held) {
              held = true;
              reached();
              await gate;
            }
            return answer;
          };
        }
        return (...args: unknown[]) => {
          const next = value.apply(target, args);
          return next && typeof next === 'object' && 'execute' in next ? holding(next) : next;
        };
      },
    });
  const wrapped = new Proxy(db, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (prop !== 'selectFrom') return typeof value === 'function' ? value.bind(target) : value;
      return (from: any) => (from === table && !held ? holding(target.selectFrom(from)) : target.selectFrom(from));
    },
  });
  return { db: wrapped as Kysely<Database>, read, release };
}
