/**
 * A value that is either at hand now or only later. The webhook's hot path answers from caches
 * (API keys, connections, in-memory rate limits): returning those values as they are, rather
 * than wrapped in promises, spares every call a promise and a microtask turn per step, which
 * added up to a visible share of the relay's cost per call. Callers that simply `await` the
 * result work either way.
 */
export type MaybePromise<T> = T | Promise<T>;

/** Applies `next` to the value: at once when it is at hand, else when its promise fulfils. */
export function thenMaybe<T, U>(value: MaybePromise<T>, next: (value: T) => MaybePromise<U>): MaybePromise<U> {
  return value instanceof Promise ? value.then(next) : next(value);
}
