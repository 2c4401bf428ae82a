import { once } from 'node:events';
import { PassThrough, type Readable } from 'node:stream';
import { type Body, ProviderError, toReadable } from 'upload-provider';
import { PROVIDER_NAME } from './load.js';

export interface Pumped {
  bytes: number;
  /** Why the body was cut short (too long, too short, aborted, failed), or undefined when it arrived whole. */
  failure: unknown;
}

/**
 * Copies a body into `into` (the stream a Strapi provider reads, or a buffer list), counting bytes against the declared
 * size and `limit`. Whatever goes wrong, `into` is ended cleanly rather than destroyed: a provider that is still
 * opening files or sockets then finishes with what it got, and the caller removes that — never racing a write that
 * lands after the clean-up.
 */
export async function pump(
  body: Body,
  into: PassThrough | Buffer[],
  declared: number | undefined,
  limit: number,
  signal?: AbortSignal,
): Promise<Pumped> {
  const source = toReadable(body);
  const result: Pumped = { bytes: 0, failure: undefined };
  const onAbort = () => {
    result.failure ??= new ProviderError('ABORTED', 'the upload was aborted', { provider: PROVIDER_NAME });
    source.destroy();
    if (into instanceof PassThrough) into.emit('abort-drain');
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      result.bytes += chunk.length;
      if (declared !== undefined && result.bytes > declared) {
        throw problem('TOO_LARGE', `the body has more than the ${declared} bytes declared`);
      }
      if (result.bytes > limit) throw problem('TOO_LARGE', `the body is larger than sizeLimit (${limit} bytes)`);
      if (Array.isArray(into)) into.push(chunk);
      // 'abort-drain' ends the wait at once when the upload is aborted or the provider gave up reading.
      else if (!into.write(chunk)) await Promise.race([once(into, 'drain'), once(into, 'abort-drain')]);
      if (result.failure) break;
    }
    if (!result.failure && declared !== undefined && result.bytes < declared) {
      throw problem('INTEGRITY', `the body had ${result.bytes} bytes but ${declared} were declared`);
    }
  } catch (error) {
    result.failure ??= error;
    source.destroy();
  } finally {
    signal?.removeEventListener('abort', onAbort);
    if (into instanceof PassThrough) into.end();
  }
  return result;
}

function problem(code: 'TOO_LARGE' | 'INTEGRITY', message: string): ProviderError {
  return new ProviderError(code, message, { provider: PROVIDER_NAME });
}

export type { Readable };
