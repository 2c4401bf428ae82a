import { pipeline, type Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  type PutObjectCommandInput,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { ByteCounter, createDebug } from 'upload-provider';
import { PROVIDER_NAME } from './errors.js';
import { S3_LIMITS } from './options.js';

const debug = createDebug(PROVIDER_NAME);

export interface StreamUploadInput {
  client: S3Client;
  params: Omit<PutObjectCommandInput, 'Body'>;
  body: Readable;
  /** Declared length, when known. The core's guard holds the body to it, so a wrong length fails while streaming. */
  size: number | undefined;
  partSize: number;
  queueSize: number;
  signal: AbortSignal | undefined;
}

export interface StreamUploadResult {
  bytes: number;
  etag: string | undefined;
  versionId: string | undefined;
}

/** The part size that keeps a body of `size` bytes within S3's 10,000 parts. */
export function effectivePartSize(partSize: number, size: number | undefined): number {
  if (size === undefined) return partSize;
  return Math.max(partSize, Math.ceil(size / S3_LIMITS.maxParts));
}

/** The most bytes an upload may carry: S3's object limit, and 10,000 parts of `partSize` when the size is unknown. */
export function uploadLimit(partSize: number, size: number | undefined): number {
  return size ?? Math.min(S3_LIMITS.maxObjectSize, partSize * S3_LIMITS.maxParts);
}

/**
 * Streams `body` to S3 with lib-storage: one PutObject when it fits in a part, otherwise a multipart upload with at
 * most `queueSize` parts in flight, so memory stays near `(queueSize + 2) × partSize` (parts in flight, the part being
 * filled, and its copy while it is assembled) whatever the size.
 *
 * Every request carries a cancel signal. A fired `signal`, a failed request, or a body that fails or has the wrong
 * length stops the body and cancels what is in flight; once lib-storage has settled, the multipart upload (if one was
 * created) is aborted here, so its parts are not kept. The rejection names the first cause: the abort, the size
 * problem, the body's own error, or S3's.
 */
export async function streamUpload(input: StreamUploadInput): Promise<StreamUploadResult> {
  const { client, params } = input;
  const partSize = effectivePartSize(input.partSize, input.size);
  // With a declared size, the core's guard already holds the body to it, and lib-storage reads it directly; without
  // one, a counter measures it and cuts it off past what 10,000 parts can hold.
  const counter =
    input.size === undefined ? new ByteCounter(uploadLimit(input.partSize, undefined), PROVIDER_NAME) : undefined;
  const body = counter ?? input.body;
  let ended = false;
  body.once('end', () => {
    ended = true;
  });
  const cancel = new AbortController();
  let firstError: unknown;
  const stop = (reason: unknown) => {
    firstError ??= reason;
    if (cancel.signal.aborted) return;
    cancel.abort(reason);
    body.destroy(reason instanceof Error ? reason : new Error(String(reason)));
  };
  const onAbort = () => stop(Object.assign(new Error('the upload was aborted'), { name: 'AbortError' }));
  input.signal?.addEventListener('abort', onAbort, { once: true });
  // The body's own failure (the core's guard fails it with TOO_LARGE, INTEGRITY or INVALID_INPUT) and the counter's
  // limit are recorded before they spread to the other streams.
  input.body.once('error', (error) => {
    firstError ??= error;
  });
  if (counter) {
    counter.once('error', (error) => {
      firstError ??= error;
    });
    pipeline(input.body, counter, () => undefined);
  }

  const multipart: { uploadId?: string } = {};
  const upload = new Upload({
    client: cancellableClient(client, cancel.signal, stop, multipart),
    params: { ...params, Body: body },
    partSize,
    queueSize: input.queueSize,
    // Clean-up is done below, after every request has settled, so a failed abort cannot hide the real error.
    leavePartsOnError: true,
  });
  try {
    const result = await upload.done();
    return {
      bytes: counter?.bytes ?? input.size ?? 0,
      etag: 'ETag' in result ? result.ETag : undefined,
      versionId: 'VersionId' in result ? result.VersionId : undefined,
    };
  } catch (error) {
    if (multipart.uploadId) await abortMultipart(client, params.Bucket!, params.Key!, multipart.uploadId);
    // A PutObject cancelled after the whole body was sent may still have been committed by S3.
    if (input.signal?.aborted && ended) await deleteQuietly(client, params.Bucket!, params.Key!);
    throw input.signal?.aborted ? firstErrorOrAbort(firstError) : (firstError ?? error);
  } finally {
    input.signal?.removeEventListener('abort', onAbort);
    if (!body.destroyed && !body.readableEnded) body.destroy();
  }
}

function firstErrorOrAbort(error: unknown): unknown {
  return error instanceof Error && error.name === 'AbortError'
    ? error
    : Object.assign(new Error('the upload was aborted', { cause: error }), { name: 'AbortError' });
}

/**
 * The client as lib-storage sees it: every request carries `signal`, a failed request stops the whole upload
 * (lib-storage alone would keep reading and sending parts), and the multipart upload's id is kept for clean-up.
 */
function cancellableClient(
  client: S3Client,
  signal: AbortSignal,
  stop: (reason: unknown) => void,
  multipart: { uploadId?: string },
): S3Client {
  const send = async (command: Parameters<S3Client['send']>[0], options?: { abortSignal?: AbortSignal }) => {
    try {
      const output = await client.send(command, { ...options, abortSignal: signal });
      // Only CreateMultipartUpload answers with an UploadId (shape, not instanceof: lib-storage may load another copy).
      const uploadId = (output as { UploadId?: unknown }).UploadId;
      if (typeof uploadId === 'string') multipart.uploadId = uploadId;
      return output;
    } catch (error) {
      stop(error);
      throw error;
    }
  };
  return { config: client.config, send } as unknown as S3Client;
}

/** Aborts a multipart upload so S3 drops its parts; failures are only logged (the upload has failed already). */
async function abortMultipart(client: S3Client, bucket: string, key: string, uploadId: string): Promise<void> {
  try {
    await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }));
  } catch (error) {
    debug('could not abort the multipart upload of a failed upload', { bucket, key, uploadId, error: String(error) });
  }
}

/** Removes an object, ignoring failures: used only to undo an upload that has already failed. */
export async function deleteQuietly(client: S3Client, bucket: string, key: string): Promise<void> {
  try {
    await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
  } catch (error) {
    // The upload's own error is what the caller needs; a failed undo is only logged.
    debug('could not remove the object of a failed upload', { bucket, key, error: String(error) });
  }
}
