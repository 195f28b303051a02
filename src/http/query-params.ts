import { z } from 'zod';

/**
 * A whole number in a query string or a path: decimal digits only, no sign, space, decimal
 * point or exponent (` 1`, `1.0` and `1e3` are refused, not read as 1), within [min, max]. One
 * rule for every route family, so the same mistake gets the same answer everywhere.
 */
export function integerParam(name: string, min: number, max: number) {
  return z
    .string()
    .regex(/^[0-9]{1,15}$/, `${name} must be a whole number`)
    .transform(Number)
    .refine((n) => n >= min && n <= max, `${name} must be from ${min} to ${max}`);
}
