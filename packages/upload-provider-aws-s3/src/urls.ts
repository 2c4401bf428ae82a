/** Percent-encodes one key segment as RFC 3986 asks (what S3 itself does), so `a b#?.png` stays one name. */
function encodeSegment(segment: string): string {
  return encodeURIComponent(segment).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** A key as a URL path: each segment encoded, the `/` between them kept. */
export function encodeKey(key: string): string {
  return key.split('/').map(encodeSegment).join('/');
}

/**
 * Bucket names that can be a DNS label under the endpoint's host. Names with dots are left to path-style URLs:
 * a wildcard TLS certificate does not cover `my.bucket.s3.amazonaws.com`.
 */
export function isVirtualHostable(bucket: string): boolean {
  return /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/.test(bucket) && !/^\d+\.\d+\.\d+\.\d+$/.test(bucket);
}

export interface UrlConfig {
  bucket: string;
  region: string;
  endpoint?: string | undefined;
  forcePathStyle: boolean;
  baseUrl?: string | undefined;
}

/**
 * Where the bucket's objects live, without a trailing `/`: the CDN, the endpoint (path or host style) or AWS. Follows
 * the SDK's endpoint rules (an IP endpoint or a name that cannot be a host means path-style), so plain URLs name the
 * same place as the SDK's own requests.
 */
export function bucketBaseUrl(config: UrlConfig): string {
  if (config.baseUrl) return config.baseUrl.replace(/\/+$/, '');
  const bucket = encodeSegment(config.bucket);
  const endpoint = new URL(config.endpoint ?? awsEndpoint(config.region));
  const path = endpoint.pathname.replace(/\/+$/, '');
  if (config.forcePathStyle || !isVirtualHostable(config.bucket) || isIpHost(endpoint.hostname)) {
    return `${endpoint.protocol}//${endpoint.host}${path}/${bucket}`;
  }
  return `${endpoint.protocol}//${bucket}.${endpoint.host}${path}`;
}

/** The plain URL of an object key (already joined with the provider's prefix). */
export function objectUrl(config: UrlConfig, objectKey: string): string {
  return `${bucketBaseUrl(config)}/${encodeKey(objectKey)}`;
}

function awsEndpoint(region: string): string {
  return region.startsWith('cn-') ? `https://s3.${region}.amazonaws.com.cn` : `https://s3.${region}.amazonaws.com`;
}

function isIpHost(hostname: string): boolean {
  return /^\d+\.\d+\.\d+\.\d+$/.test(hostname) || hostname.startsWith('[');
}
