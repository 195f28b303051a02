import crypto from 'node:crypto';
import { safeEqual } from '../ids/random.js';

// RFC 7636 §4.1: 43–128 characters of the unreserved set. An S256 challenge is 32 bytes base64url (43 chars).
const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;
const S256_CHALLENGE = /^[A-Za-z0-9\-_]{43}$/;

/** The S256 code challenge of a verifier: BASE64URL(SHA256(ASCII(verifier))). */
export function s256(verifier: string): string {
  return crypto.createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

export function isValidChallenge(challenge: string): boolean {
  return S256_CHALLENGE.test(challenge);
}

/** Whether a presented verifier matches the challenge stored with the code (constant time). */
export function verifierMatches(verifier: string, challenge: string): boolean {
  return VERIFIER.test(verifier) && safeEqual(s256(verifier), challenge);
}
