/** What `within` gives when the work did not finish in time. */
export const TIMED_OUT: unique symbol = Symbol('timed out');

/**
 * The work's result, or TIMED_OUT once `ms` have passed, whichever comes first. The work goes on
 * (nothing here can stop a query a frozen database holds); only the wait for it ends. A failure
 * after the deadline is left unheard, as nobody waits for it any more.
 */
export function within<T>(work: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), ms);
    timer.unref();
  });
  work.catch(() => undefined);
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}
