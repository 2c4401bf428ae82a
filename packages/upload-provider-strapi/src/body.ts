import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import { type Body, toReadable } from 'upload-provider';

export interface Pumped {
  bytes: number;
  /** Why the body was cut short (the core's size guard, an abort, a failing source), or undefined when it arrived whole. */
  failure: unknown;
}

/**
 * Copies a body (already behind the core's size guard) into `into`: the stream a Strapi provider reads, or a list of
 * buffers. Whatever goes wrong, `into` is ended cleanly rather than destroyed, so a provider still opening a file or a
 * request finishes with what it got and the caller removes that, never racing a write that lands after the clean-up.
 */
export async function pump(body: Body, into: PassThrough | Buffer[], signal?: AbortSignal): Promise<Pumped> {
  const source = toReadable(body);
  const result: Pumped = { bytes: 0, failure: undefined };
  const onAbort = () => {
    result.failure ??= signal?.reason ?? new Error('aborted');
    source.destroy();
    if (into instanceof PassThrough) into.emit(GAVE_UP);
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      result.bytes += chunk.length;
      if (Array.isArray(into)) into.push(chunk);
      else if (!into.write(chunk)) await Promise.race([once(into, 'drain'), once(into, GAVE_UP)]);
      if (result.failure) break;
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

/** Emitted on the provider's stream to end a wait for 'drain' at once: the upload was aborted, or the provider failed. */
export const GAVE_UP = 'upload-provider-strapi:gave-up';
