import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { File, FileMetadata } from '@google-cloud/storage';
import { ByteCounter, createDebug } from 'upload-provider';
import { PROVIDER_NAME } from './errors.js';

const debug = createDebug(PROVIDER_NAME);

export interface StreamUploadInput {
  /** A File made for this upload alone: the SDK writes the stored object's metadata onto it. */
  file: File;
  body: Readable;
  /** Declared length, when known. The core's guard holds the body to it (and to the 5 TiB object limit). */
  size: number | undefined;
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
 * Streams `body` (behind the core's size guard) through a byte counter into `file.createWriteStream`. Memory stays at a few stream buffers whatever the
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
  const counter = new ByteCounter(Number.POSITIVE_INFINITY, PROVIDER_NAME);
  // Set once the whole body has gone into the request: a failure from then on may follow a finalised object.
  let ended = false;
  counter.once('finish', () => {
    ended = true;
  });
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
  // The body's own failure (the core's guard fails it with TOO_LARGE, INTEGRITY or INVALID_INPUT) names the cause.
  let bodyError: unknown;
  input.body.once('error', (error) => {
    bodyError ??= error;
  });
  try {
    await pipeline(input.body, counter, writable, ...(input.signal ? [{ signal: input.signal }] : []));
    return { bytes: counter.bytes, metadata: file.metadata };
  } catch (error) {
    if (ended) await deleteQuietly(file, file.metadata?.generation);
    if (input.signal?.aborted) {
      throw Object.assign(new Error('the upload was aborted', { cause: error }), { name: 'AbortError' });
    }
    throw bodyError ?? error;
  }
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
