import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export type Access = 'read-only' | 'full-access';

/** sha256 hex of a token: what is stored, in the database and in memory. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** A new random API token (256 bits), shown to the user once. */
export function generateToken(): string {
  return `ups_${randomBytes(32).toString('base64url')}`;
}

/** Constant-time comparison of two hex digests of equal length. */
export function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}

/**
 * The token in an `Authorization` header: `Bearer <t>` or `Token <t>` (case-insensitive scheme), else undefined.
 */
export function tokenFromHeader(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^(?:bearer|token)\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}
