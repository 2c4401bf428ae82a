// Cloudinary's published signing algorithms, written here from the documentation for the test server. The provider's
// code (and the SDK's) is never used to check a signature, so a bug there cannot hide itself.
import { createHash, timingSafeEqual } from 'node:crypto';

export type Algorithm = 'sha1' | 'sha256';

/** Parameters that are never signed: the file, the credentials' own fields and the resource type in the path. */
const UNSIGNED = new Set(['file', 'cloud_name', 'resource_type', 'api_key', 'signature']);

/**
 * The string Cloudinary signs for an API request: every parameter except the unsigned ones, empty values dropped,
 * sorted by name, `name=value` joined by `&` (an `&` inside a pair is written `%26`, so a value cannot smuggle in
 * another parameter).
 */
export function stringToSign(params: Record<string, string>): string {
  return Object.keys(params)
    .filter((k) => !UNSIGNED.has(k) && params[k] !== '')
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((k) => `${k}=${params[k]}`.replace(/&/g, '%26'))
    .join('&');
}

/** Hex digest of the string to sign followed by the API secret. */
export function apiSignature(params: Record<string, string>, secret: string, algorithm: Algorithm): string {
  return createHash(algorithm)
    .update(stringToSign(params) + secret)
    .digest('hex');
}

/** A delivery URL signature: the first 8 characters of the URL-safe base64 digest of `<path after the signature>` + secret. */
export function deliverySignature(toSign: string, secret: string, algorithm: Algorithm): string {
  const digest = createHash(algorithm)
    .update(toSign + secret)
    .digest('base64');
  return digest.slice(0, 8).replace(/\//g, '_').replace(/\+/g, '-');
}

/** Constant-time comparison of two signatures. */
export function sameSignature(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
