/**
 * Values derived once per key and kept, forgetting the oldest when full: for what every request
 * would otherwise derive again from a stored secret (its plaintext, a prepared HMAC key). No
 * expiry is needed: a changed secret is stored sealed anew, so it has a new key, and the old
 * entry ages out.
 */
export class BoundedMemo<V> {
  private readonly entries = new Map<string, V>();

  constructor(
    private readonly maxEntries: number,
    private readonly derive: (key: string) => V,
  ) {}

  get(key: string): V {
    let value = this.entries.get(key);
    if (value === undefined) {
      value = this.derive(key);
      if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
      this.entries.set(key, value);
    }
    return value;
  }
}
