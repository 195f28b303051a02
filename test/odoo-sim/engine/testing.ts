/** Helpers for the engine's tests: the OdooException a call raises, as [class, message]. */
import { OdooException } from '../contract.js';

export function odooError(fn: () => unknown): OdooException {
  try {
    fn();
  } catch (err) {
    if (err instanceof OdooException) return err;
    throw err;
  }
  throw new Error('expected an OdooException');
}

/** [Python class, message] of what `fn` raises, for compact tables of expected errors. */
export function raised(fn: () => unknown): [string, string] {
  const err = odooError(fn);
  return [err.odooName, err.message];
}
