import { Readable, Transform, type TransformCallback } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { type ByteRange, invalidInput, ProviderError } from 'upload-provider';
import type { Delivery } from './delivery.js';
import { toCloudinaryError } from './errors.js';
import type { AssetLocation } from './public-ids.js';

/** Skips `start` bytes and stops after `end` (inclusive), for a server that answered a range request with everything. */
export class Slice extends Transform {
  private offset = 0;
  constructor(
    private readonly first: number,
    private readonly last: number | undefined,
  ) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    const from = this.offset;
    this.offset += chunk.length;
    const last = this.last === undefined ? Number.POSITIVE_INFINITY : this.last;
    const a = Math.max(this.first - from, 0);
    const b = Math.min(last + 1 - from, chunk.length);
    done(null, a < b ? chunk.subarray(a, b) : undefined);
  }
}

export interface ReadContext {
  provider: string;
  delivery: Delivery;
  /** Private assets are fetched through short-lived download URLs, public ones from the CDN. */
  isPrivate: boolean;
  urlExpiresIn: number;
}

/**
 * Streams the first of `locations` that exists (or `range` of it, already checked by the core). Delivery URLs are
 * fetched over HTTP; a server that ignores the range has it cut out of the whole file.
 */
export async function readAsset(
  ctx: ReadContext,
  key: string,
  locations: AssetLocation[],
  range: ByteRange | undefined,
): Promise<Readable> {
  const { provider, delivery } = ctx;
  const headers: Record<string, string> = range ? { range: `bytes=${range.start}-${range.end ?? ''}` } : {};
  for (const loc of locations) {
    const url = ctx.isPrivate
      ? delivery.downloadUrl(loc, Math.floor(Date.now() / 1000) + ctx.urlExpiresIn, false)
      : delivery.url(loc);
    let res: Response;
    try {
      res = await fetch(url, { headers });
    } catch (e) {
      throw new ProviderError('UNAVAILABLE', `reading ${key}: ${(e as Error).message}`, { provider, cause: e });
    }
    if (res.status === 404) {
      await res.body?.cancel();
      continue;
    }
    if (res.status === 416) {
      await res.body?.cancel();
      throw invalidInput(provider, `the range ${headers.range} does not fit ${key}`, { range });
    }
    if (!res.ok || !res.body) {
      const text = await res.text().catch(() => '');
      const message = /"message"\s*:\s*"([^"]*)"/.exec(text)?.[1] ?? (res.headers.get('x-cld-error') || res.statusText);
      throw toCloudinaryError({ message, http_code: res.status }, provider, `reading ${key}`);
    }
    const body = Readable.fromWeb(res.body as unknown as WebReadableStream<Uint8Array>);
    if (!range || res.status === 206) return body;
    // The server ignored the range: cut it out of the whole file.
    const length = Number(res.headers.get('content-length'));
    if (Number.isFinite(length) && range.start >= length && length > 0) {
      body.destroy();
      throw invalidInput(provider, `the range ${headers.range} does not fit ${key} (${length} bytes)`, { range });
    }
    return body.pipe(new Slice(range.start, range.end));
  }
  throw new ProviderError('NOT_FOUND', `${key} does not exist`, { provider, details: { key } });
}
