/**
 * A small time-bounded cache for hot-path reads (API keys, Odoo connections). Entries expire
 * after ttlMs; `clear()` drops everything at once, which is how writes in this process make
 * themselves visible immediately. Other processes (the CLI, a second relay instance) see a
 * change within ttlMs.
 */
export class TtlCache<V> {
  private readonly entries = new Map<string, { value: V; expiresAt: number }>();
  /**
   * Loads under way: callers that miss together share one (one fields_get for a burst of calls,
   * not one each). A load is kept only while it is still its key's entry here: delete() and
   * clear() drop it, so a load that may have read the old row (a key being revoked) answers its
   * caller but is not cached, or the revoked key would stay usable here for a whole time to live.
   */
  private readonly loading = new Map<string, Promise<V>>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 10_000,
  ) {}

  /**
   * The cached value, or the loaded one. A hit is returned as it is, not wrapped in a promise:
   * these caches sit on every call's path, where a promise and a microtask turn per lookup
   * showed in the relay's cost per call. Callers simply `await` the result either way.
   */
  getOrLoad(key: string, load: () => Promise<V>, now = Date.now()): V | Promise<V> {
    if (this.ttlMs <= 0) return load();
    const hit = this.entries.get(key);
    if (hit && hit.expiresAt > now) return hit.value;
    const under = this.loading.get(key);
    if (under) return under;
    const loaded = load().then(
      (value) => {
        if (this.loading.get(key) !== loaded) return value;
        this.loading.delete(key);
        if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
        this.entries.set(key, { value, expiresAt: now + this.ttlMs });
        return value;
      },
      (err: unknown) => {
        if (this.loading.get(key) === loaded) this.loading.delete(key);
        throw err;
      },
    );
    this.loading.set(key, loaded);
    return loaded;
  }

  // A change forgets the key's load under way too: a caller arriving after it must not join a
  // load that may have read the old row. Other keys keep theirs: the relay deletes a key after
  // every unknown API key presented, and a spray of those must not keep good keys uncached.
  delete(key: string): void {
    this.entries.delete(key);
    this.loading.delete(key);
  }

  clear(): void {
    this.entries.clear();
    this.loading.clear();
  }
}

/** A process-wide "something changed" signal that writers raise and caches listen to. */
export class ChangeSignal {
  private readonly listeners = new Set<() => void>();

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  raise(): void {
    for (const listener of this.listeners) listener();
  }
}
