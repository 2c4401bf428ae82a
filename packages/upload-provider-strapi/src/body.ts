import { pipeline, type Readable, Transform, type TransformCallback } from 'node:stream';
import { type Body, ProviderError, toReadable } from 'upload-provider';
import { PROVIDER_NAME } from './load.js';

/**
 * Counts the bytes on their way to the Strapi provider and fails the stream (rather than ending it) when they pass
 * `limit` or the declared size, or fall short of it: a provider that is still writing never sees a clean end.
 */
export class BodyGuard extends Transform {
  bytes = 0;
  constructor(
    private readonly declared: number | undefined,
    private readonly limit: number,
  ) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.declared !== undefined && this.bytes > this.declared) {
      done(tooLarge(`the body has more than the ${this.declared} bytes declared`));
    } else if (this.bytes > this.limit) {
      done(tooLarge(`the body is larger than sizeLimit (${this.limit} bytes)`));
    } else {
      done(null, chunk);
    }
  }
  override _flush(done: TransformCallback): void {
    if (this.declared !== undefined && this.bytes < this.declared) {
      done(
        new ProviderError('INTEGRITY', `the body had ${this.bytes} bytes but ${this.declared} were declared`, {
          provider: PROVIDER_NAME,
        }),
      );
      return;
    }
    done();
  }
}

function tooLarge(message: string): ProviderError {
  return new ProviderError('TOO_LARGE', message, { provider: PROVIDER_NAME });
}

/** The body through a guard; the returned promise rejects with the first failure of either. */
export function guarded(body: Body, guard: BodyGuard): { stream: Readable; failed: Promise<never> } {
  const failed = new Promise<never>((_, reject) => {
    pipeline(toReadable(body), guard, (error) => {
      if (error) reject(error);
    });
  });
  failed.catch(() => undefined);
  return { stream: guard, failed };
}

/** All of a guarded stream in memory, for providers with only `upload(file)`: bounded by the guard's limit. */
export async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
