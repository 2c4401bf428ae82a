import { createHmac, timingSafeEqual } from 'node:crypto';

/** A signed URL's optional download: the name to save under, and whether to show or save it. */
export interface SignedDownload {
  name: string;
  disposition: 'inline' | 'attachment';
}

// One field per line in a fixed order, so no value can be shifted into another's place.
const canonical = (key: string, expires: number, download?: SignedDownload) =>
  ['GET', key, String(expires), download?.disposition ?? '', download?.name ?? ''].join('\n');

function sign(secret: Buffer, key: string, expires: number, download?: SignedDownload): string {
  return createHmac('sha256', secret)
    .update(canonical(key, expires, download))
    .digest('hex');
}

/** The query string of a signed URL for `key`, valid until `expires` (Unix seconds). */
export function signedQuery(secret: Buffer, key: string, expires: number, download?: SignedDownload): string {
  const query = new URLSearchParams({ expires: String(expires) });
  if (download) {
    query.set('disposition', download.disposition);
    query.set('download', download.name);
  }
  query.set('signature', sign(secret, key, expires, download));
  return query.toString();
}

/** Whether `query` carries a valid, unexpired signature for `key`; the signatures are compared in constant time. */
export function verifySignedQuery(secret: Buffer, key: string, query: URLSearchParams, now = Date.now()): boolean {
  const expires = Number(query.get('expires'));
  const name = query.get('download');
  const download = name === null ? undefined : { name, disposition: dispositionOf(query) };
  const presented = Buffer.from(query.get('signature') ?? '');
  const expected = Buffer.from(sign(secret, key, expires, download));
  const valid = presented.length === expected.length && timingSafeEqual(presented, expected);
  return valid && Number.isSafeInteger(expires) && expires * 1000 >= now;
}

export function dispositionOf(query: URLSearchParams): 'inline' | 'attachment' {
  return query.get('disposition') === 'inline' ? 'inline' : 'attachment';
}

/** A key as a URL path: each segment percent-encoded. */
export function keyPath(key: string): string {
  return key.split('/').map(encodeURIComponent).join('/');
}
