import crypto from 'node:crypto';

/** SHA-256's block size in bytes: keys are padded (or first hashed) to this length. */
const BLOCK_BYTES = 64;
const DIGEST_BYTES = 32;
/** Messages up to this size are hashed from the shared scratch buffer; larger ones get a buffer of their own. */
const SCRATCH_MAX_BYTES = 64 * 1024;

/**
 * Working buffers shared by every key. Each use fills, hashes and wipes them within one
 * synchronous call, so no two uses can overlap on Node's single JavaScript thread.
 */
let innerScratch = Buffer.alloc(1024);
const outerScratch = Buffer.alloc(BLOCK_BYTES + DIGEST_BYTES);
const expectedScratch = Buffer.alloc(DIGEST_BYTES);
const presentedScratch = Buffer.alloc(DIGEST_BYTES);

/**
 * An HMAC-SHA256 key prepared once (RFC 2104): HMAC(K, m) = H((K ⊕ opad) ‖ H((K ⊕ ipad) ‖ m)).
 *
 * Why not crypto.createHmac: it builds a stream object and an OpenSSL context for every call,
 * which measured at about 25 µs a call inside the loaded relay. Two one-shot crypto.hash calls
 * over pads prepared once give the same bytes for a fraction of that. The pads and the message
 * are laid out in shared scratch buffers rather than concatenated into new ones, and digests
 * come back as hex text, which node writes into the next buffer without allocating one: Buffer
 * allocations were most of what was left of the check's cost (bench:instructions). Cross-checked
 * against createHmac and RFC 4231's test vectors in test/auth/hmac-key.test.ts.
 */
export class HmacSha256Key {
  private readonly innerPad: Buffer;
  private readonly outerPad: Buffer;

  constructor(secret: string | Buffer) {
    let key = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret;
    if (key.length > BLOCK_BYTES) key = crypto.hash('sha256', key, 'buffer');
    this.innerPad = Buffer.alloc(BLOCK_BYTES, 0x36);
    this.outerPad = Buffer.alloc(BLOCK_BYTES, 0x5c);
    for (let i = 0; i < key.length; i++) {
      this.innerPad[i]! ^= key[i]!;
      this.outerPad[i]! ^= key[i]!;
    }
  }

  /** The MAC of the concatenation of `parts`, as lower-case hex. */
  hexDigest(...parts: Buffer[]): string {
    let length = BLOCK_BYTES;
    for (const part of parts) length += part.length;
    const inner = length <= SCRATCH_MAX_BYTES ? scratchOf(length) : Buffer.allocUnsafe(length);
    this.innerPad.copy(inner, 0);
    let offset = BLOCK_BYTES;
    for (const part of parts) offset += part.copy(inner, offset);
    const innerHex = crypto.hash('sha256', inner.subarray(0, length), 'hex');
    // The key's pads must not outlive the call in a buffer shared with other keys.
    inner.fill(0, 0, BLOCK_BYTES);
    this.outerPad.copy(outerScratch, 0);
    outerScratch.write(innerHex, BLOCK_BYTES, 'hex');
    const mac = crypto.hash('sha256', outerScratch, 'hex');
    outerScratch.fill(0, 0, BLOCK_BYTES);
    return mac;
  }

  /**
   * Whether `hex` (64 hex digits, either case; the caller checks the form) is the MAC of the
   * concatenation of `parts`, compared in constant time.
   */
  matchesHex(hex: string, ...parts: Buffer[]): boolean {
    expectedScratch.write(this.hexDigest(...parts), 'hex');
    if (presentedScratch.write(hex, 'hex') !== DIGEST_BYTES) return false;
    return crypto.timingSafeEqual(expectedScratch, presentedScratch);
  }
}

/** The shared inner scratch, grown (by doubling) to hold `length` bytes. */
function scratchOf(length: number): Buffer {
  if (innerScratch.length < length) {
    let size = innerScratch.length;
    while (size < length) size *= 2;
    innerScratch = Buffer.alloc(size);
  }
  return innerScratch;
}
