import type { Readable } from 'node:stream';
import { type ByteCounter, isProviderError, slugifyName } from 'upload-provider';
import { checkMime, type MimeLists, sniffStream } from '../content/index.js';
import { HttpError } from '../errors.js';
import { sanitiseName } from '../files/names.js';

/** The one answer to a file over the size limit. */
export function tooLarge(limit: number): HttpError {
  return new HttpError(413, `The file is larger than the size limit of ${limit} bytes`, { limit });
}

/** Whether a failure means the body went over the size limit (ours or the provider's). */
export function isTooLarge(error: unknown, counter: ByteCounter, limit: number): boolean {
  if (counter.bytes > limit) return true;
  if (isProviderError(error, 'TOO_LARGE')) return true;
  const cause = (error as { cause?: unknown })?.cause;
  return cause !== undefined && cause !== error && isTooLarge(cause, counter, limit);
}

/** What the first bytes and the name say about a file. */
export interface Inspected {
  /** The source again, from its first byte. */
  stream: Readable;
  /** The type the bytes show, as the lists allowed it. */
  mime: string;
  /** The key-safe base of the name (`Holiday pic.png` → `holiday_pic`). */
  slug: string;
  /** `.png`: from the name, else from the bytes; null when neither says. */
  ext: string | null;
  /** The display name (see `sanitiseName`). */
  name: string;
}

/**
 * Sniffs the type from the bytes and checks it against the allow/deny lists (and `requireMime`), then derives the
 * names. Refusals are HttpErrors (415 and friends); the source is destroyed when refused.
 */
export async function inspect(
  source: Readable,
  input: { filename: string; claimedMime?: string | undefined; requireMime?: string | undefined },
  lists: MimeLists,
): Promise<Inspected> {
  const sniffed = await sniffStream(source);
  const check = checkMime(sniffed.mime, input.claimedMime, lists);
  if (!check.ok) {
    sniffed.stream.destroy();
    throw new HttpError(check.status, check.message, { mime: sniffed.mime });
  }
  if (input.requireMime !== undefined && check.mime !== input.requireMime) {
    sniffed.stream.destroy();
    throw new HttpError(415, `The uploaded bytes are ${check.mime}, not the declared ${input.requireMime}`, {
      declared: input.requireMime,
      detected: check.mime,
    });
  }
  const { slug, ext: nameExt } = slugifyName(input.filename);
  const ext = nameExt || (sniffed.ext && check.mime === sniffed.mime ? `.${sniffed.ext}` : '');
  return { stream: sniffed.stream, mime: check.mime, slug, ext: ext || null, name: sanitiseName(input.filename) };
}
