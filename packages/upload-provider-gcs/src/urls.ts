/** Percent-encodes one key segment as RFC 3986 asks, so `a b#?.png` stays one name. */
export function encodeSegment(segment: string): string {
  return encodeURIComponent(segment).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** A key as a URL path: each segment encoded, the `/` between them kept. */
export function encodeKey(key: string): string {
  return key.split('/').map(encodeSegment).join('/');
}

/**
 * Where the bucket's objects are served, without a trailing `/`: the CDN (`baseUrl`) when set, otherwise the path-style
 * XML API address of the bucket on the client's endpoint (`https://storage.googleapis.com/<bucket>`).
 */
export function bucketBaseUrl(apiEndpoint: string, bucket: string, baseUrl?: string): string {
  if (baseUrl) return baseUrl.replace(/\/+$/, '');
  return `${apiEndpoint.replace(/\/+$/, '')}/${encodeSegment(bucket)}`;
}
