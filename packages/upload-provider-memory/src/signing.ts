import { createHmac, timingSafeEqual } from 'node:crypto';

/** What a signed GET URL grants: one key until `expires` (Unix seconds), optionally as a named download. */
export interface GetGrant {
  key: string;
  expires: number;
  disposition?: string;
  download?: string;
}

/** What a direct-upload form grants: one key, a content type (exact or `type/*`), a size range, until `expires`. */
export interface PostGrant {
  key: string;
  mime: string;
  minSize: number;
  maxSize: number;
  private: boolean;
  expires: number;
}

// Canonical strings: one field per line, in a fixed order, each prefixed by its role so values cannot be shifted.
const getString = (g: GetGrant) =>
  ['GET', g.key, g.expires, g.disposition ?? '', g.download ?? ''].map(String).join('\n');
const postString = (g: PostGrant) =>
  ['POST', g.key, g.mime, g.minSize, g.maxSize, g.private ? 'private' : 'public', g.expires].map(String).join('\n');

export function signGet(secret: Buffer, grant: GetGrant): string {
  return createHmac('sha256', secret).update(getString(grant)).digest('hex');
}

export function signPost(secret: Buffer, grant: PostGrant): string {
  return createHmac('sha256', secret).update(postString(grant)).digest('hex');
}

/** Compares a presented hex signature with the expected one in constant time. */
export function signatureMatches(presented: string | null | undefined, expected: string): boolean {
  const a = Buffer.from(presented ?? '', 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A key as a URL path: each segment percent-encoded. */
export function keyPath(key: string): string {
  return key.split('/').map(encodeURIComponent).join('/');
}
