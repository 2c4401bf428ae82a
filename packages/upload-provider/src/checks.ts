import { ProviderError } from './errors.js';
import { contentDisposition, normaliseKey } from './keys.js';
import type { ByteRange, DirectUploadRequest, ProviderLimits, SignOptions, StoredRef } from './types.js';

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

/** What the input checks need to know about the provider they guard. */
export interface CheckContext {
  provider: string;
  limits: ProviderLimits;
  /** False when the provider declares `emptyFiles: false`. */
  emptyFiles: boolean;
}

const UNITS: [number, string][] = [
  [1024 ** 4, 'TiB'],
  [1024 ** 3, 'GiB'],
  [1024 ** 2, 'MiB'],
  [1024, 'KiB'],
];
const PERIODS: [number, string][] = [
  [86_400, 'day'],
  [3600, 'hour'],
  [60, 'minute'],
];

/** `5 TiB` for an exact multiple of a binary unit, `1000 bytes` otherwise. */
export function formatBytes(bytes: number): string {
  const unit = UNITS.find(([size]) => bytes >= size && bytes % size === 0);
  return unit ? `${bytes / unit[0]} ${unit[1]}` : `${bytes} bytes`;
}

/** `7 days` for an exact multiple of a day, hour or minute, `90 seconds` otherwise. */
export function formatSeconds(seconds: number): string {
  const period = PERIODS.find(([size]) => seconds >= size && seconds % size === 0);
  if (!period) return `${seconds} seconds`;
  const n = seconds / period[0];
  return `${n} ${period[1]}${n === 1 ? '' : 's'}`;
}

const got = (value: unknown) => (typeof value === 'string' ? JSON.stringify(value) : String(value));
const isWholeBytes = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;

/** The key, normalised; a hostile one is `INVALID_INPUT` naming the provider. */
export function checkKey(ctx: CheckContext, key: unknown): string {
  try {
    return normaliseKey(key as string);
  } catch (error) {
    const e = error as ProviderError;
    throw new ProviderError('INVALID_INPUT', e.message, { provider: ctx.provider, details: e.details });
  }
}

/** A reference as the provider receives it: an object whose key is normalised. */
export function checkRef<R extends StoredRef>(ctx: CheckContext, ref: R): R {
  if (typeof ref !== 'object' || ref === null) {
    throw invalidInput(ctx.provider, `a file reference must be an object with a "key", got ${got(ref)}`);
  }
  return { ...ref, key: checkKey(ctx, ref.key) };
}

export function checkMime(ctx: CheckContext, mime: unknown): void {
  if (typeof mime !== 'string' || !MIME_TYPE.test(mime)) {
    throw invalidInput(ctx.provider, `mime must be a content type like "image/png", got ${got(mime)}`);
  }
}

/** A declared size: a whole number of bytes, within `maxObjectSize`, and not 0 when empty files are refused. */
export function checkSize(ctx: CheckContext, size: number | undefined): void {
  if (size === undefined) return;
  if (!isWholeBytes(size)) throw invalidInput(ctx.provider, `size must be a whole number of bytes, got ${got(size)}`);
  const max = ctx.limits.maxObjectSize;
  if (max !== undefined && size > max) {
    throw new ProviderError(
      'TOO_LARGE',
      `the file declares ${size} bytes; this storage takes at most ${formatBytes(max)}`,
      {
        provider: ctx.provider,
        details: { limit: max, declared: size },
      },
    );
  }
  if (size === 0 && !ctx.emptyFiles) throw emptyFile(ctx.provider);
}

/** `INVALID_INPUT` for a zero-byte file on a provider that declares `emptyFiles: false`. */
export function emptyFile(provider: string | undefined): ProviderError {
  return new ProviderError(
    'INVALID_INPUT',
    'this storage does not store empty files (capabilities.emptyFiles is false)',
    {
      provider,
    },
  );
}

const HEADER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const PRINTABLE = /^[\x20-\x7e]*$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: a header value must not hold control characters
const CONTROL = /[\u0000-\u001f\u007f]/;

/** String metadata: names not empty, values strings, within `maxMetadataBytes`, header-safe where it must be. */
export function checkMetadata(ctx: CheckContext, metadata: unknown): void {
  if (metadata === undefined) return;
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
    throw invalidInput(ctx.provider, 'metadata must be an object of string values');
  }
  const { maxMetadataBytes, metadataInHeaders } = ctx.limits;
  let total = 0;
  for (const [name, value] of Object.entries(metadata)) {
    if (name === '') throw invalidInput(ctx.provider, 'metadata names must not be empty');
    if (typeof value !== 'string')
      throw invalidInput(ctx.provider, `metadata ${JSON.stringify(name)} must be a string`);
    if (metadataInHeaders && !HEADER_NAME.test(name)) {
      throw invalidInput(
        ctx.provider,
        `metadata name ${JSON.stringify(name)} must be letters, digits, "-", "_" or "."`,
      );
    }
    if (metadataInHeaders && !PRINTABLE.test(value)) {
      throw invalidInput(
        ctx.provider,
        `metadata ${JSON.stringify(name)} must be printable ASCII (it travels in an HTTP header): encode it first`,
      );
    }
    total += Buffer.byteLength(name) + Buffer.byteLength(value);
  }
  if (maxMetadataBytes !== undefined && total > maxMetadataBytes) {
    throw invalidInput(ctx.provider, `metadata is ${total} bytes; this storage takes at most ${maxMetadataBytes}`);
  }
}

/** A value that becomes (part of) a header: a string without control characters. */
export function checkHeaderText(ctx: CheckContext, what: string, value: unknown): void {
  if (value === undefined) return;
  if (typeof value !== 'string' || CONTROL.test(value)) {
    throw invalidInput(ctx.provider, `${what} must be a string without control characters, got ${got(value)}`);
  }
}

/** A file name, when given: a string (control characters are dropped where it becomes a header). */
export function checkName(ctx: CheckContext, what: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'string') {
    throw invalidInput(ctx.provider, `${what} must be a file name (a string), got ${got(value)}`);
  }
}

export function checkDisposition(ctx: CheckContext, disposition: unknown): void {
  if (disposition !== undefined && disposition !== 'inline' && disposition !== 'attachment') {
    throw invalidInput(ctx.provider, `disposition must be "inline" or "attachment", got ${got(disposition)}`);
  }
}

/** An inclusive byte range: a start of at least 0 and an end, when given, at or after it. */
export function checkRange(ctx: CheckContext, range: ByteRange | undefined): void {
  if (range === undefined) return;
  if (typeof range !== 'object' || range === null) {
    throw invalidInput(ctx.provider, `a range must be { start, end? }, got ${got(range)}`);
  }
  const { start, end } = range;
  if (!isWholeBytes(start)) {
    throw invalidInput(ctx.provider, `a range must start at a whole number of bytes >= 0, got ${got(start)}`);
  }
  if (end !== undefined && (!isWholeBytes(end) || end < start)) {
    throw invalidInput(ctx.provider, `a range must end at or after its start (${start}), got ${got(end)}`);
  }
}

/** A lifetime in seconds: above 0 (whole when the provider says so) and at most `max`; undefined keeps the default. */
export function checkExpiresIn(ctx: CheckContext, expiresIn: unknown, max: number | undefined): void {
  if (expiresIn === undefined) return;
  const whole = ctx.limits.wholeSeconds === true;
  const ok =
    typeof expiresIn === 'number' &&
    Number.isFinite(expiresIn) &&
    expiresIn > 0 &&
    (!whole || Number.isInteger(expiresIn)) &&
    (max === undefined || expiresIn <= max);
  if (ok) return;
  const what = whole ? 'a whole number of seconds from 1' : 'a number of seconds above 0';
  const upTo = max === undefined ? '' : ` to ${max} (${formatSeconds(max)})`;
  throw invalidInput(ctx.provider, `expiresIn must be ${what}${upTo}, got ${got(expiresIn)}`, { expiresIn });
}

export function checkSignOptions(ctx: CheckContext, opts: SignOptions): void {
  checkExpiresIn(ctx, opts.expiresIn, ctx.limits.maxExpiresIn);
  checkName(ctx, 'downloadName', opts.downloadName);
  checkDisposition(ctx, opts.disposition);
}

/** A direct-upload request: type or family, sizes within the limits, lifetime. The key is checked by the caller. */
export function checkDirectUploadRequest(ctx: CheckContext, req: DirectUploadRequest): void {
  const { mime, maxSize, minSize = 0 } = req;
  if (typeof mime !== 'string' || !(mime === '*/*' || MIME_FAMILY.test(mime) || MIME_TYPE.test(mime))) {
    throw invalidInput(
      ctx.provider,
      `mime must be a content type ("image/png"), a family ("image/*") or "*/*", got ${got(mime)}`,
    );
  }
  const least = ctx.emptyFiles ? 0 : 1;
  const most = ctx.limits.maxDirectUploadSize ?? ctx.limits.maxObjectSize;
  if (!isWholeBytes(maxSize) || maxSize < least || (most !== undefined && maxSize > most)) {
    const range = most === undefined ? `of at least ${least}` : `from ${least} to ${most} (${formatBytes(most)})`;
    throw invalidInput(ctx.provider, `maxSize must be a whole number of bytes ${range}, got ${got(maxSize)}`);
  }
  if (!isWholeBytes(minSize) || minSize > maxSize) {
    throw invalidInput(
      ctx.provider,
      `minSize must be a whole number of bytes from 0 to maxSize (${maxSize}), got ${got(minSize)}`,
    );
  }
  checkExpiresIn(ctx, req.expiresIn, ctx.limits.maxDirectUploadExpiresIn ?? ctx.limits.maxExpiresIn);
  checkName(ctx, 'name', req.name);
}

/**
 * The `Content-Disposition` a signed URL should ask the storage to send: `attachment` (or the chosen disposition)
 * with `downloadName` cut to `maxName` characters, the bare disposition without a name, or none at all.
 */
export function downloadDisposition(opts: SignOptions, maxName = 150): string | undefined {
  if (opts.downloadName) {
    return contentDisposition(opts.disposition ?? 'attachment', shortenFileName(opts.downloadName, maxName));
  }
  return opts.disposition ? contentDisposition(opts.disposition) : undefined;
}
