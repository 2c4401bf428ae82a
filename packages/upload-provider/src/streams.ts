import { pipeline, Readable, Transform, type TransformCallback } from 'node:stream';
import { emptyFile } from './checks.js';
import { isProviderError, ProviderError } from './errors.js';
import type { Body } from './types.js';

/** A body as a stream; bytes become a one-chunk stream (they are already in memory). */
export function toReadable(body: Body): Readable {
  if (body instanceof Readable) return body;
  if (body instanceof Uint8Array) return Readable.from([Buffer.from(body.buffer, body.byteOffset, body.byteLength)]);
  throw new ProviderError('INVALID_INPUT', 'a file body must be a Readable stream or a Uint8Array');
}

/** Byte length of a body when it can be known without reading it. */
export function knownSize(body: Body, declared?: number): number | undefined {
  if (body instanceof Uint8Array) return body.byteLength;
  return declared;
}

/**
 * A pass-through that counts bytes and fails with `TOO_LARGE` as soon as more than `maxBytes` pass, so an oversized
 * body is cut off while streaming rather than after it is stored. `bytes` holds the count so far.
 */
export class ByteCounter extends Transform {
  bytes = 0;
  constructor(
    private readonly maxBytes = Number.POSITIVE_INFINITY,
    private readonly provider?: string,
  ) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes) {
      done(
        new ProviderError('TOO_LARGE', `the body is larger than ${this.maxBytes} bytes`, {
          provider: this.provider,
          details: { limit: this.maxBytes },
        }),
      );
      return;
    }
    done(null, chunk);
  }
}

/** Throws `INTEGRITY` when a body's length disagrees with its declared size. */
export function assertDeclaredSize(actual: number, declared: number | undefined, provider?: string): void {
  if (declared !== undefined && actual !== declared) throw sizeMismatch(actual, declared, provider);
}

/** The one `INTEGRITY` error for a body whose length is not the size declared for it. */
function sizeMismatch(actual: number, declared: number, provider: string | undefined): ProviderError {
  return new ProviderError('INTEGRITY', `the body had ${actual} bytes but ${declared} were declared`, {
    provider,
    details: { actual, declared },
  });
}

export interface SizeGuardOptions {
  /** The size the caller declared: more bytes are `TOO_LARGE` at once, fewer are `INTEGRITY` at the end. */
  declared?: number | undefined;
  /** The most bytes the storage takes when no size is declared (`maxObjectSize`). */
  limit?: number | undefined;
  /** False to refuse a body that ends with no bytes (`emptyFiles: false`) with `INVALID_INPUT`. Default true. */
  allowEmpty?: boolean;
  provider?: string;
}

/**
 * Holds a body to its declared size and the storage's limit while it streams: `TOO_LARGE` as soon as one byte too
 * many arrives, `INTEGRITY` instead of the end when bytes are missing, so whatever reads it never sees a complete
 * body of the wrong size (S3 never completes the multipart upload, GCS never finalises the object). `bytes` holds
 * the count so far. Nothing is buffered.
 */
export class SizeGuard extends Transform {
  bytes = 0;
  private readonly declared: number | undefined;
  private readonly limit: number;
  private readonly allowEmpty: boolean;
  private readonly provider: string | undefined;

  constructor(options: SizeGuardOptions = {}) {
    super();
    this.declared = options.declared;
    this.limit = options.limit ?? Number.POSITIVE_INFINITY;
    this.allowEmpty = options.allowEmpty ?? true;
    this.provider = options.provider;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.declared !== undefined && this.bytes > this.declared) {
      done(
        new ProviderError('TOO_LARGE', `the body is longer than the ${this.declared} bytes declared`, {
          provider: this.provider,
          details: { declared: this.declared },
        }),
      );
      return;
    }
    if (this.bytes > this.limit) {
      done(
        new ProviderError('TOO_LARGE', `the body is larger than ${this.limit} bytes, the most this storage takes`, {
          provider: this.provider,
          details: { limit: this.limit },
        }),
      );
      return;
    }
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    if (this.declared !== undefined && this.bytes !== this.declared) {
      done(sizeMismatch(this.bytes, this.declared, this.provider));
      return;
    }
    if (this.bytes === 0 && !this.allowEmpty) {
      done(emptyFile(this.provider));
      return;
    }
    done();
  }
}

/**
 * `body` read through a {@link SizeGuard}. A failure of the body itself reaches the reader as `INVALID_INPUT` with
 * the body's error as `cause`; destroying the returned stream destroys `body` too, so it is not read any further.
 */
export function guardBody(body: Readable, options: SizeGuardOptions = {}): SizeGuard {
  const guard = new SizeGuard(options);
  // Registered before pipeline's own listener, so the reader sees this error rather than the raw one.
  body.once('error', (error) => {
    if (guard.destroyed) return;
    guard.destroy(
      isProviderError(error)
        ? error
        : new ProviderError('INVALID_INPUT', `the file body failed while it was read: ${String(error)}`, {
            provider: options.provider,
            cause: error,
          }),
    );
  });
  pipeline(body, guard, () => undefined);
  return guard;
}
