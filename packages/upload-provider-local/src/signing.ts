import { createHmac, timingSafeEqual } from 'node:crypto';

/** What a signed GET URL vouches for. Every field is covered by the signature. */
export interface UrlGrant {
  /** The object's name inside the root (the key with the provider's prefix). */
  objectName: string;
  /** Unix time in milliseconds after which the URL is refused. */
  expires: number;
  disposition?: 'inline' | 'attachment' | undefined;
  downloadName?: string | undefined;
}

/** What a signed direct-upload policy allows: one POST of one file to one key, until `expires`. */
export interface UploadPolicy {
  v: 1;
  /** The key the form must name (without the provider's prefix). */
  key: string;
  /** Unix time in milliseconds. */
  expires: number;
  minSize: number;
  maxSize: number;
  /** `image/png` (exact) or `image/*` (a family). */
  mime: string;
  /** The user's original file name, stored for `Content-Disposition`. */
  name?: string;
}

// Each kind of message starts differently, so a signature made for one can never verify as another.
function urlMessage(grant: UrlGrant): string {
  return JSON.stringify([
    'upload-provider-local:get:v1',
    grant.objectName,
    grant.expires,
    grant.disposition ?? '',
    grant.downloadName ?? '',
  ]);
}

function policyMessage(encodedPolicy: string): string {
  return `upload-provider-local:post:v1\n${encodedPolicy}`;
}

/** The MAC as the base64url string it is issued as: the only spelling that verifies. */
function hmac(secret: string, message: string): string {
  return createHmac('sha256', secret).update(message, 'utf8').digest('base64url');
}

/**
 * Compares a signature with the expected one as strings, in constant time. Never decoded first: a lenient decoder
 * maps other spellings (a different last character, skipped characters) to the same bytes.
 */
function matches(expected: string, signature: string): boolean {
  const want = Buffer.from(expected, 'utf8');
  const given = Buffer.from(signature, 'utf8');
  return given.length === want.length && timingSafeEqual(given, want);
}

export function signGrant(secret: string, grant: UrlGrant): string {
  return hmac(secret, urlMessage(grant));
}

export function verifyGrant(secret: string, grant: UrlGrant, signature: string): boolean {
  return matches(hmac(secret, urlMessage(grant)), signature);
}

export function encodePolicy(policy: UploadPolicy): string {
  return Buffer.from(JSON.stringify(policy), 'utf8').toString('base64url');
}

export function signPolicy(secret: string, encodedPolicy: string): string {
  return hmac(secret, policyMessage(encodedPolicy));
}

export function verifyPolicy(secret: string, encodedPolicy: string, signature: string): boolean {
  return matches(hmac(secret, policyMessage(encodedPolicy)), signature);
}

/** Decodes a policy whose signature has already been verified; null when it is not one of ours. */
export function decodePolicy(encodedPolicy: string): UploadPolicy | null {
  try {
    const value = JSON.parse(Buffer.from(encodedPolicy, 'base64url').toString('utf8')) as Partial<UploadPolicy>;
    const ok =
      value.v === 1 &&
      typeof value.key === 'string' &&
      typeof value.mime === 'string' &&
      Number.isSafeInteger(value.expires) &&
      Number.isSafeInteger(value.minSize) &&
      Number.isSafeInteger(value.maxSize) &&
      (value.name === undefined || typeof value.name === 'string');
    return ok ? (value as UploadPolicy) : null;
  } catch {
    return null;
  }
}

// True when `mime` (parameters ignored, case-insensitive) is allowed by `allowed`: a type (`image/png`), a family
// (`image/*`), or any type at all (`*/*`).
export function mimeAllowed(allowed: string, mime: string): boolean {
  const essence = mime.split(';')[0]!.trim().toLowerCase();
  const want = allowed.split(';')[0]!.trim().toLowerCase();
  if (want === '*/*') return /^[^/\s]+\/[^/\s]+$/.test(essence);
  if (want.endsWith('/*')) return essence.startsWith(want.slice(0, -1)) && essence.length > want.length - 1;
  return essence === want;
}
