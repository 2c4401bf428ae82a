import { ProviderError } from './errors.js';

/** A content type such as `image/png` or `text/plain; charset=utf-8` (RFC 9110 token characters). */
export const MIME_TYPE: RegExp = /^[A-Za-z0-9!#$&^_.+-]+\/[A-Za-z0-9!#$&^_.+-]+(\s*;.*)?$/;

/** A content-type family such as `image/*`; the first group is the prefix every member starts with (`image/`). */
export const MIME_FAMILY: RegExp = /^([A-Za-z0-9!#$&^_.+-]+\/)\*$/;

/** An `INVALID_INPUT` error from `provider`, for a call argument that must change. */
export function invalidInput(provider: string, message: string, details?: Record<string, unknown>): ProviderError {
  return new ProviderError('INVALID_INPUT', message, { provider, details });
}

/**
 * A file name cut to at most `maxLength` characters for a `Content-Disposition` header, keeping its extension (when
 * it has one of at most 16 characters, dot included) so the download still opens with the right program.
 */
export function shortenFileName(name: string, maxLength = 150): string {
  if (name.length <= maxLength) return name;
  const dot = name.lastIndexOf('.');
  const ext = dot > 0 && name.length - dot <= 16 ? name.slice(dot) : '';
  return name.slice(0, maxLength - ext.length) + ext;
}
