import { Readable, Transform, type TransformCallback } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { type ByteRange, ProviderError } from 'upload-provider';
import { PROVIDER_NAME } from './load.js';

/**
 * Reads an object back through its URL with `fetch` (a `Range` request when asked). When the server ignores the
 * range and answers the whole object, the bytes outside it are skipped while streaming.
 */
export async function readThroughUrl(url: string, range?: ByteRange): Promise<Readable> {
  const headers: Record<string, string> = range ? { range: `bytes=${range.start}-${range.end ?? ''}` } : {};
  let res: Response;
  try {
    res = await fetch(url, { headers, redirect: 'follow' });
  } catch (cause) {
    throw new ProviderError('UNAVAILABLE', `reading the object from its URL failed: ${String(cause)}`, {
      provider: PROVIDER_NAME,
      cause,
    });
  }
  if (res.status === 404 || res.status === 403 || res.status === 410) {
    await res.body?.cancel();
    throw new ProviderError('NOT_FOUND', `the object's URL answered ${res.status}`, { provider: PROVIDER_NAME });
  }
  if (res.status === 416) {
    await res.body?.cancel();
    throw new ProviderError('INVALID_INPUT', 'the range does not fit the object', { provider: PROVIDER_NAME });
  }
  if (!res.ok || !res.body) {
    await res.body?.cancel();
    throw new ProviderError(res.status >= 500 ? 'UNAVAILABLE' : 'INTERNAL', `the object's URL answered ${res.status}`, {
      provider: PROVIDER_NAME,
    });
  }
  const body = Readable.fromWeb(res.body as WebReadableStream<Uint8Array>);
  if (!range || res.status === 206) return body;
  const length = Number(res.headers.get('content-length') ?? Number.NaN);
  if (Number.isFinite(length) && range.start >= length) {
    body.destroy();
    throw new ProviderError('INVALID_INPUT', `the range starts at ${range.start}, past the object's ${length} bytes`, {
      provider: PROVIDER_NAME,
    });
  }
  return body.pipe(new Slice(range.start, range.end));
}

/** Passes on only the bytes from `start` to `end` (inclusive) of what flows through it. */
class Slice extends Transform {
  private offset = 0;
  constructor(
    private readonly start: number,
    private readonly last = Number.POSITIVE_INFINITY,
  ) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    const from = Math.max(0, this.start - this.offset);
    const to = Math.min(chunk.length, this.last + 1 - this.offset);
    this.offset += chunk.length;
    done(null, from < to ? chunk.subarray(from, to) : undefined);
  }
}
