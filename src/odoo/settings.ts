import { z } from 'zod';

/** Which Odoo external API to speak: decide from the server version, or force one. */
export const odooProtocolSchema = z.enum(['auto', 'jsonrpc', 'json2']);
export type OdooProtocolSetting = z.infer<typeof odooProtocolSchema>;

/**
 * Answers above this are refused (ODOO_MAX_RESPONSE_BYTES): a runaway search_read must not
 * exhaust the relay's memory. 50 MB is tens of thousands of records, more than a workflow
 * should take in one call.
 */
export const DEFAULT_MAX_RESPONSE_BYTES = 50 * 1024 * 1024;

/** Settings of one Odoo connection; reusable by the config and dashboard forms. */
export const odooConnectionSettingsSchema = z.object({
  /** Base URL of Odoo, e.g. https://erp.example.com (a path prefix behind a proxy is kept). */
  url: z
    .string()
    .url()
    .refine((u) => /^https?:\/\//i.test(u), { message: 'url must be http:// or https://' }),
  database: z.string().min(1),
  login: z.string().min(1),
  /** Password or API key. JSON-2 (Odoo 19+) needs an API key; JSON-RPC takes either. */
  secret: z.string().min(1),
  protocol: odooProtocolSchema.default('auto'),
  timeoutMs: z.number().int().positive().max(600_000).default(30_000),
  maxConcurrent: z.number().int().positive().max(256).default(4),
  maxQueue: z.number().int().nonnegative().max(100_000).default(100),
  /** Largest answer read from Odoo; a larger one is refused (502) rather than held in memory. */
  maxResponseBytes: z.number().int().positive().max(1024 * 1024 * 1024).default(DEFAULT_MAX_RESPONSE_BYTES),
});

/** Validated settings with defaults applied. */
export type OdooConnectionSettings = z.infer<typeof odooConnectionSettingsSchema>;
/** Settings as a caller may write them (defaults optional). */
export type OdooConnectionSettingsInput = z.input<typeof odooConnectionSettingsSchema>;

/** Validates settings and applies defaults; throws a zod error naming the bad field. */
export function parseOdooConnectionSettings(input: unknown): OdooConnectionSettings {
  return odooConnectionSettingsSchema.parse(input);
}
