/**
 * Keeps subscriber URLs from reaching the relay's own network (SSRF).
 *
 * A subscription URL is user input, and webhook deliveries are a classic way to make a server
 * call its metadata service or an internal admin port. The check must happen on the address
 * actually connected to: checking the name and then letting the HTTP client resolve it again
 * is defeated by DNS rebinding. So `createGuardedAgent` resolves once inside undici's connect
 * step, refuses if any resolved address is not public, and connects to exactly those
 * addresses. Operators can allow specific ranges (e.g. an n8n on the LAN) by CIDR; a name that
 * resolves into an allowed range is used on those addresses only (`localhost` is 127.0.0.1 and
 * ::1, and allowing 127.0.0.0/8 must not be undone by ::1).
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import { Agent, buildConnector } from 'undici';

export type AddressClass =
  | 'public'
  | 'unspecified'
  | 'loopback'
  | 'private'
  | 'link_local'
  | 'cgnat'
  | 'multicast'
  | 'broadcast'
  | 'documentation'
  | 'benchmarking'
  | 'reserved'
  | 'ipv4_mapped'
  | 'ipv4_translated'
  | 'unique_local';

export interface ParsedAddress {
  family: 4 | 6;
  value: bigint;
}

/** Parse a literal IPv4 or IPv6 address (zone ids and brackets tolerated); null if not one. */
export function parseAddress(input: string): ParsedAddress | null {
  let text = input.trim();
  if (text.startsWith('[') && text.endsWith(']')) text = text.slice(1, -1);
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  const family = isIP(text);
  if (family === 4) return { family: 4, value: ipv4ToBigInt(text) };
  if (family === 6) return { family: 6, value: ipv6ToBigInt(text) };
  return null;
}

function ipv4ToBigInt(text: string): bigint {
  return text.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
}

function ipv6ToBigInt(text: string): bigint {
  // An embedded dotted quad (::ffff:1.2.3.4) stands for the last two groups.
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    const v4 = ipv4ToBigInt(tail);
    text = `${text.slice(0, lastColon + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head, rest] = text.split('::') as [string, string | undefined];
  const headGroups = head === '' ? [] : head.split(':');
  const restGroups = rest === undefined || rest === '' ? [] : rest.split(':');
  const missing = 8 - headGroups.length - restGroups.length;
  const groups = rest === undefined ? headGroups : [...headGroups, ...Array(missing).fill('0'), ...restGroups];
  return groups.reduce((acc, group) => (acc << 16n) | BigInt(parseInt(group, 16)), 0n);
}

export interface Cidr {
  family: 4 | 6;
  network: bigint;
  prefix: number;
}

/** Parse `10.0.0.0/8`, `fc00::/7` or a bare address (a /32 or /128). Throws on nonsense. */
export function parseCidr(text: string): Cidr {
  const [addr, prefixText] = text.trim().split('/') as [string, string | undefined];
  const parsed = parseAddress(addr);
  if (!parsed) throw new RangeError(`not a CIDR: ${text}`);
  const bits = parsed.family === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? bits : Number(prefixText);
  if (!/^\d+$/.test(prefixText ?? String(bits)) || prefix < 0 || prefix > bits) {
    throw new RangeError(`bad prefix length in ${text}`);
  }
  return { family: parsed.family, network: parsed.value & mask(bits, prefix), prefix };
}

function mask(bits: number, prefix: number): bigint {
  const all = (1n << BigInt(bits)) - 1n;
  return prefix === 0 ? 0n : (all >> BigInt(bits - prefix)) << BigInt(bits - prefix);
}

function contains(cidr: Cidr, address: ParsedAddress): boolean {
  if (cidr.family !== address.family) return false;
  const bits = cidr.family === 4 ? 32 : 128;
  return (address.value & mask(bits, cidr.prefix)) === cidr.network;
}

// IANA special-purpose registries (RFC 6890 and successors). Most specific first.
const SPECIAL_RANGES: [string, AddressClass][] = [
  ['0.0.0.0/8', 'unspecified'],
  ['10.0.0.0/8', 'private'],
  ['100.64.0.0/10', 'cgnat'],
  ['127.0.0.0/8', 'loopback'],
  ['169.254.0.0/16', 'link_local'],
  ['172.16.0.0/12', 'private'],
  ['192.0.0.0/24', 'reserved'],
  ['192.0.2.0/24', 'documentation'],
  ['192.88.99.0/24', 'reserved'],
  ['192.168.0.0/16', 'private'],
  ['198.18.0.0/15', 'benchmarking'],
  ['198.51.100.0/24', 'documentation'],
  ['203.0.113.0/24', 'documentation'],
  ['224.0.0.0/4', 'multicast'],
  ['255.255.255.255/32', 'broadcast'],
  ['240.0.0.0/4', 'reserved'],
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
  // Mapped and translated forms reach IPv4 hosts, including private ones, through v6 APIs.
  ['::ffff:0:0/96', 'ipv4_mapped'],
  ['::/96', 'ipv4_mapped'], // deprecated IPv4-compatible form
  ['64:ff9b::/96', 'ipv4_translated'],
  ['64:ff9b:1::/48', 'ipv4_translated'],
  ['2002::/16', 'ipv4_translated'], // 6to4
  ['2001::/32', 'ipv4_translated'], // Teredo
  ['100::/64', 'reserved'], // discard-only
  ['2001:db8::/32', 'documentation'],
  ['3fff::/20', 'documentation'],
  ['2001::/23', 'reserved'], // IETF protocol assignments
  ['fc00::/7', 'unique_local'],
  ['fe80::/10', 'link_local'],
  ['fec0::/10', 'private'], // deprecated site-local
  ['ff00::/8', 'multicast'],
];
const SPECIAL = SPECIAL_RANGES.map(([cidr, kind]) => [parseCidr(cidr), kind] as const);
// Only 2000::/3 is allocated as global unicast; anything else is not a place to send webhooks.
const GLOBAL_UNICAST_V6 = parseCidr('2000::/3');

/** What kind of address this is; only `public` is reachable without an operator allow-list. */
export function classifyAddress(address: string): AddressClass {
  const parsed = parseAddress(address);
  if (!parsed) throw new RangeError(`not an IP address: ${address}`);
  for (const [cidr, kind] of SPECIAL) if (contains(cidr, parsed)) return kind;
  if (parsed.family === 6 && !contains(GLOBAL_UNICAST_V6, parsed)) return 'reserved';
  return 'public';
}

export interface AddressPolicy {
  /** Ranges the operator explicitly trusts, e.g. `['10.1.2.0/24']`; parsed with `parseCidr`. */
  allow?: readonly (string | Cidr)[];
}

export interface AddressVerdict {
  allowed: boolean;
  class: AddressClass;
}

/** Public addresses pass; others only when inside an allowed range. */
export function checkAddress(address: string, policy: AddressPolicy = {}): AddressVerdict {
  const kind = classifyAddress(address);
  if (kind === 'public') return { allowed: true, class: kind };
  const parsed = parseAddress(address)!;
  const allowed = (policy.allow ?? []).some((c) => contains(typeof c === 'string' ? parseCidr(c) : c, parsed));
  return { allowed, class: kind };
}

export type UrlVerdict =
  | { ok: true; url: URL }
  | { ok: false; code: 'invalid_url' | 'ssrf_refused'; reason: string };

/**
 * Static checks on a subscription URL (at save time and before each send): http(s) only,
 * no credentials (they would leak into logs and be sent to every redirect target), and a
 * literal IP host must pass the address policy. Host names are checked at connect time.
 */
export function checkTargetUrl(raw: string, policy: AddressPolicy = {}): UrlVerdict {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, code: 'invalid_url', reason: 'not a valid URL' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { ok: false, code: 'invalid_url', reason: `scheme ${url.protocol.slice(0, -1)} is not allowed (http or https only)` };
  }
  if (url.username !== '' || url.password !== '') {
    return { ok: false, code: 'invalid_url', reason: 'credentials in the URL are not allowed; use custom headers' };
  }
  if (url.hostname === '') return { ok: false, code: 'invalid_url', reason: 'missing host' };
  if (parseAddress(url.hostname)) {
    const verdict = checkAddress(url.hostname, policy);
    if (!verdict.allowed) return { ok: false, code: 'ssrf_refused', reason: `address is ${verdict.class}` };
  }
  return { ok: true, url };
}

/**
 * Raised inside the connector; the sender maps it to the `ssrf_refused` delivery error. Its
 * message, stored in the delivery log the subscription's owner reads, names neither the address
 * nor its kind: they would tell anyone allowed to subscribe what internal names resolve to.
 */
export class SsrfRefusedError extends Error {
  readonly code = 'ERR_SSRF_REFUSED';
  constructor(
    readonly host: string,
    readonly address: string,
    readonly addressClass: AddressClass,
  ) {
    super(`refusing to connect to ${host}: it does not resolve to public addresses only (EVENTS_ALLOW_PRIVATE_TARGETS allows private ranges)`);
    this.name = 'SsrfRefusedError';
  }
}

type LookupFn = (
  hostname: string,
  options: { all: true; family?: number },
  callback: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

export interface GuardedAgentOptions extends AddressPolicy {
  /** DNS resolver, injectable for tests; defaults to the system resolver (`dns.lookup`). */
  lookup?: LookupFn;
  connectTimeoutMs?: number;
  /** Extra undici Agent options (keep-alive, connections per origin). */
  agent?: Omit<Agent.Options, 'connect'>;
}

/**
 * An undici dispatcher that resolves each host once, refuses the connection unless every
 * resolved address is allowed, and connects to those addresses (no second resolution).
 * Refusing when *any* address is private (not just picking a public one) matters because a
 * name that mixes both is either misconfigured or an attack.
 */
export function createGuardedAgent(options: GuardedAgentOptions = {}): Agent {
  const allow = (options.allow ?? []).map((c) => (typeof c === 'string' ? parseCidr(c) : c));
  const policy: AddressPolicy = { allow };
  const resolve: LookupFn = options.lookup ?? ((host, opts, cb) => dnsLookup(host, opts, cb));

  const guardedLookup = (
    hostname: string,
    lookupOptions: { family?: number; all?: boolean },
    callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
  ) => {
    resolve(hostname, { all: true, family: lookupOptions.family }, (err, addresses) => {
      if (err) return callback(err, []);
      if (addresses.length === 0) {
        return callback(Object.assign(new Error(`no addresses for ${hostname}`), { code: 'ENOTFOUND' }), []);
      }
      const verdicts = addresses.map(({ address }) => checkAddress(address, policy));
      const refused = verdicts.findIndex((v) => !v.allowed);
      // A public name with a private answer among its addresses is refused outright (a
      // rebinding attempt looks like that). A name the operator's allow-list vouches for keeps
      // its allowed addresses and drops the others, which are never connected to.
      const vouched = verdicts.some((v) => v.allowed && v.class !== 'public');
      if (refused >= 0 && !vouched) return callback(new SsrfRefusedError(hostname, addresses[refused]!.address, verdicts[refused]!.class), []);
      const usable = addresses.filter((_, i) => verdicts[i]!.allowed);
      if (lookupOptions.all) return callback(null, usable);
      callback(null, usable[0]!.address, usable[0]!.family);
    });
  };

  const connector = buildConnector({
    timeout: options.connectTimeoutMs ?? 10_000,
    lookup: guardedLookup as never,
  });

  return new Agent({
    ...options.agent,
    connect(connectOptions, callback) {
      // Node skips `lookup` for literal IPs, so those are checked here.
      const host = connectOptions.hostname.replace(/^\[|\]$/g, '');
      if (parseAddress(host)) {
        const verdict = checkAddress(host, policy);
        if (!verdict.allowed) return callback(new SsrfRefusedError(host, host, verdict.class), null);
      }
      connector(connectOptions, callback);
    },
  });
}

/** True when `error` (or any error in its `cause` chain) is an SSRF refusal. */
export function isSsrfRefusal(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 8; depth++) {
    if (e instanceof SsrfRefusedError || (e as { code?: unknown }).code === 'ERR_SSRF_REFUSED') return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}
