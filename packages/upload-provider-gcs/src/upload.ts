import type { Readable, TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { File, FileMetadata } from '@google-cloud/storage';
import { ByteCounter, createDebug, isProviderError, ProviderError } from 'upload-provider';
import { PROVIDER_NAME } from './errors.js';

const debug = createDebug(PROVIDER_NAME);

/**
 * Counts the bytes on their way to Cloud Storage: more than `max` fails with `TOO_LARGE` as soon as it happens, and a
 * body that ends short of `declared` fails with `INTEGRITY` before the SDK ends its request, so the upload is never
 * finalised and no object appears.
 */
export class SizeGuard extends ByteCounter {
  ended = false;
  constructor(
    private readonly declared: number | undefined,
    max: number,
  ) {
    super(max, PROVIDER_NAME);
  }
  override _flush(done: TransformCallback): void {
    if (this.declared !== undefined && this.bytes !== this.declared) {
      done(
        new ProviderError('INTEGRITY', `the body had ${this.bytes} bytes but ${this.declared} were declared`, {
          provider: PROVIDER_NAME,
          details: { actual: this.bytes, declared: this.declared },
        }),
      );
      return;
    }
    this.ended = true;
    done();
  }
}

export interface StreamUploadInput {
  /** A File made for this upload alone: the SDK writes the stored object's metadata onto it. */
  file: File;
  body: Readable;
  /** Declared length, when known. */
  size: number | undefined;
  /** The most bytes accepted when `size` is unknown. */
  limit: number;
  /** A resumable session (one streamed request here) rather than a single multipart request. */
  resumable: boolean;
  metadata: FileMetadata;
  predefinedAcl: 'publicRead' | undefined;
  signal: AbortSignal | undefined;
}

export interface StreamUploadResult {
  bytes: number;
  metadata: FileMetadata;
}

/**
 * Streams `body` through a size guard into `file.createWriteStream`. Memory stays at a few stream buffers whatever the
 * size: the single-request path streams a multipart body, and the resumable path sends the whole body in one streamed
 * request (no `chunkSize`, so the SDK never holds a chunk in memory).
 *
 * A fired `signal`, a body that fails or has the wrong length, or a failed request destroys every stream, which ends the
 * HTTP request before it completes, so Cloud Storage never finalises the object. If the whole body had already gone
 * out (the failure came with or after the response), the object is removed. The SDK validates the CRC32C of what was
 * stored and itself deletes an object whose checksum differs.
 */
export async function streamUpload(input: StreamUploadInput): Promise<StreamUploadResult> {
  const { file } = input;
  const guard = new SizeGuard(input.size, input.size ?? input.limit);
  const metadata: FileMetadata = { ...input.metadata };
  // Tells Cloud Storage the exact length up front (X-Upload-Content-Length): it then refuses a session that ends
  // with any other number of bytes, on top of the guard above.
  if (input.resumable && input.size !== undefined && input.size > 0) metadata.contentLength = input.size;
  const writable = file.createWriteStream({
    resumable: input.resumable,
    metadata,
    validation: 'crc32c',
    ...(input.predefinedAcl ? { predefinedAcl: input.predefinedAcl } : {}),
  });
  let bodyError: unknown;
  input.body.once('error', (error) => {
    if (!guard.destroyed) bodyError ??= bodyFailure(error);
  });
  try {
    await pipeline(input.body, guard, writable, ...(input.signal ? [{ signal: input.signal }] : []));
    return { bytes: guard.bytes, metadata: file.metadata };
  } catch (error) {
    if (guard.ended) await deleteQuietly(file, file.metadata?.generation);
    if (input.signal?.aborted) {
      throw Object.assign(new Error('the upload was aborted', { cause: error }), { name: 'AbortError' });
    }
    throw bodyError ?? error;
  }
}

function bodyFailure(error: unknown): unknown {
  if (isProviderError(error)) return error;
  return new ProviderError('INVALID_INPUT', `the file body failed while it was read: ${String(error)}`, {
    provider: PROVIDER_NAME,
    cause: error,
  });
}

/**
 * Removes an object, ignoring failures: used only to undo an upload that has already failed. With the generation the
 * upload created, only that generation is removed, never a newer upload to the same key.
 */
export async function deleteQuietly(file: File, generation?: string | number): Promise<void> {
  try {
    await file.delete({
      ignoreNotFound: true,
      ...(generation === undefined ? {} : { ifGenerationMatch: generation }),
    });
  } catch (error) {
    // The upload's own error is what the caller needs; a failed undo is only logged.
    debug('could not remove the object of a failed upload', { key: file.name, error: String(error) });
  }
}
