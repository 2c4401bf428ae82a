import { Readable, Transform, type TransformCallback } from 'node:stream';
import { ProviderError } from './errors.js';
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
  if (declared !== undefined && actual !== declared) {
    throw new ProviderError('INTEGRITY', `the body had ${actual} bytes but ${declared} were declared`, {
      provider,
      details: { actual, declared },
    });
  }
}
