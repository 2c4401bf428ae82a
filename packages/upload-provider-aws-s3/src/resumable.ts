import type { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  type CreateMultipartUploadCommandInput,
  DeleteObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import {
  createDebug,
  ProviderError,
  type ResumableRequest,
  type ResumableSessions,
  type ResumableState,
  type StoredFile,
} from 'upload-provider';
import { isMissingObject, PROVIDER_NAME, toS3ProviderError } from './errors.js';
import { S3_LIMITS } from './options.js';

const debug = createDebug(PROVIDER_NAME);

/** A session: one S3 multipart upload, its parts so far, and a tail shorter than a part kept as its own object. */
interface S3State extends ResumableState {
  uploadId: string;
  parts: Array<{ n: number; etag: string; size: number }>;
  /** Bytes in the tail object (`<object key>.resumable-tail`), 0 when there is none. */
  tail: number;
  mime: string;
  name: string;
  disposition: 'inline' | 'attachment';
}

export interface S3SessionDeps {
  client: S3Client;
  bucket: string;
  /** The object key with the provider's prefix. */
  objectKey(key: string): string;
  /** What CreateMultipartUpload (and the empty-file PutObject) carries besides bucket and key. */
  objectParams(req: ResumableRequest): Omit<CreateMultipartUploadCommandInput, 'Bucket' | 'Key'>;
  url(target: string): string;
  /** Every part but the last is exactly this many bytes (at least S3's 5 MiB). */
  partSize: number;
}

const tailKey = (target: string) => `${target}.resumable-tail`;

function stateOf(state: ResumableState): S3State {
  const s = state as Partial<S3State>;
  const parts = s.parts;
  if (
    typeof s.uploadId !== 'string' ||
    !Array.isArray(parts) ||
    !parts.every((p) => Number.isSafeInteger(p?.n) && typeof p?.etag === 'string' && Number.isSafeInteger(p?.size)) ||
    !Number.isSafeInteger(s.tail) ||
    typeof s.mime !== 'string' ||
    typeof s.name !== 'string' ||
    (s.disposition !== 'inline' && s.disposition !== 'attachment')
  ) {
    throw new ProviderError('INVALID_INPUT', 'the session state is not one this provider made', {
      provider: PROVIDER_NAME,
    });
  }
  return {
    uploadId: s.uploadId,
    parts,
    tail: s.tail as number,
    mime: s.mime,
    name: s.name,
    disposition: s.disposition,
  };
}

const heldBytes = (s: S3State) => s.parts.reduce((sum, p) => sum + p.size, 0) + s.tail;

/**
 * Resumable sessions over S3 multipart uploads, as @tus/s3-store keeps them: every part but the last is
 * `partSize` bytes, and what does not fill a part waits in a tail object until the next append (or `complete`) takes
 * it back. Memory per append is one part. The state (upload id, part ETags, tail length) is all S3 needs back.
 */
export function s3Sessions(deps: S3SessionDeps): ResumableSessions {
  const { client, bucket, partSize } = deps;
  const fail = (operation: string, key: string) => (error: unknown) => {
    throw toS3ProviderError(error, { operation, key, bucket });
  };

  const readTail = async (target: string, bytes: number): Promise<Buffer> => {
    if (bytes === 0) return Buffer.alloc(0);
    // The range, not the whole object: a tail written by a call that never reported back may be longer.
    const out = await client.send(
      new GetObjectCommand({ Bucket: bucket, Key: tailKey(target), Range: `bytes=0-${bytes - 1}` }),
    );
    const body = Buffer.from(await out.Body!.transformToByteArray());
    if (body.length !== bytes) {
      throw new ProviderError('INTEGRITY', `the tail object holds ${body.length} bytes, not ${bytes}`, {
        provider: PROVIDER_NAME,
      });
    }
    return body;
  };

  const uploadPart = async (target: string, state: S3State, bytes: Buffer) => {
    const n = state.parts.length + 1;
    if (n > S3_LIMITS.maxParts) {
      throw new ProviderError(
        'TOO_LARGE',
        `an S3 upload has at most ${S3_LIMITS.maxParts} parts of ${partSize} bytes`,
        {
          provider: PROVIDER_NAME,
        },
      );
    }
    const out = await client.send(
      new UploadPartCommand({
        Bucket: bucket,
        Key: target,
        UploadId: state.uploadId,
        PartNumber: n,
        Body: bytes,
        ContentLength: bytes.length,
      }),
    );
    state.parts.push({ n, etag: out.ETag ?? '', size: bytes.length });
  };

  return {
    async create(req) {
      const target = deps.objectKey(req.key);
      const out = await client
        .send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: target, ...deps.objectParams(req) }))
        .catch(fail('create a resumable upload', req.key));
      debug('resumable create', { bucket, key: target, uploadId: out.UploadId });
      const state: S3State = {
        uploadId: out.UploadId!,
        parts: [],
        tail: 0,
        mime: req.mime,
        name: req.name,
        disposition: req.disposition ?? 'inline',
      };
      return state;
    },

    async append(session, body: Readable, opts) {
      const target = deps.objectKey(session.key);
      const state = stateOf(session.state);
      const held = heldBytes(state);
      if (opts.offset !== held) {
        body.destroy();
        throw new ProviderError(
          'INVALID_INPUT',
          `the session holds ${held} bytes: append at ${held}, not ${opts.offset}`,
          {
            provider: PROVIDER_NAME,
          },
        );
      }
      try {
        // At most one part in memory: the old tail, then the body, cut into parts as they fill.
        let pending: Buffer[] = [];
        let pendingBytes = 0;
        const hadTail = state.tail > 0;
        if (hadTail) {
          pending.push(await readTail(target, state.tail));
          pendingBytes = state.tail;
        }
        const flushParts = async () => {
          while (pendingBytes >= partSize) {
            const all = Buffer.concat(pending, pendingBytes);
            await uploadPart(target, state, all.subarray(0, partSize));
            pending = [all.subarray(partSize)];
            pendingBytes -= partSize;
          }
        };
        try {
          for await (const chunk of body) {
            pending.push(chunk as Buffer);
            pendingBytes += (chunk as Buffer).length;
            if (pendingBytes >= partSize) await flushParts();
          }
        } catch (error) {
          // The body broke off (a dropped connection): what arrived is kept. A failed part upload is not the body.
          if (isS3Failure(error)) throw error;
        }
        if (pendingBytes > 0) {
          await client.send(
            new PutObjectCommand({ Bucket: bucket, Key: tailKey(target), Body: Buffer.concat(pending, pendingBytes) }),
          );
        } else if (hadTail) {
          await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: tailKey(target) }));
        }
        state.tail = pendingBytes;
      } catch (error) {
        body.destroy();
        fail('append to a resumable upload', session.key)(error);
      }
      return { state, offset: heldBytes(state) };
    },

    async complete(session, opts): Promise<StoredFile> {
      const target = deps.objectKey(session.key);
      const state = stateOf(session.state);
      const held = heldBytes(state);
      if (held !== opts.size) {
        throw new ProviderError('INTEGRITY', `the session holds ${held} bytes, not the ${opts.size} declared`, {
          provider: PROVIDER_NAME,
        });
      }
      try {
        // The tail becomes the last part (the only one allowed under 5 MiB).
        if (state.tail > 0) await uploadPart(target, state, await readTail(target, state.tail));
        let etag: string | undefined;
        if (state.parts.length === 0) {
          // S3 completes no multipart upload without parts: an empty file is one PutObject.
          await client
            .send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: target, UploadId: state.uploadId }))
            .catch(() => undefined);
          const out = await client.send(
            new PutObjectCommand({
              Bucket: bucket,
              Key: target,
              Body: Buffer.alloc(0),
              ...deps.objectParams({
                key: session.key,
                mime: state.mime,
                name: state.name,
                disposition: state.disposition,
              }),
            }),
          );
          etag = out.ETag;
        } else {
          const out = await client.send(
            new CompleteMultipartUploadCommand({
              Bucket: bucket,
              Key: target,
              UploadId: state.uploadId,
              MultipartUpload: { Parts: state.parts.map((p) => ({ PartNumber: p.n, ETag: p.etag })) },
            }),
          );
          etag = out.ETag;
        }
        if (state.tail > 0) await deleteTail(client, bucket, target);
        debug('resumable complete', { bucket, key: target, bytes: held, parts: state.parts.length });
        return {
          key: session.key,
          url: deps.url(target),
          size: held,
          mime: state.mime,
          ...(etag ? { etag: etag.replace(/"/g, '') } : {}),
          providerMetadata: { bucket },
        };
      } catch (error) {
        return fail('complete a resumable upload', session.key)(error);
      }
    },

    async abort(session) {
      const target = deps.objectKey(session.key);
      const state = stateOf(session.state);
      try {
        await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: target, UploadId: state.uploadId }));
      } catch (error) {
        // Already completed or aborted: nothing of it is left. s3rver answers 405 to every abort (TOOLCHAIN.md).
        const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
        if (!(isMissingObject(error) || (error as { name?: string }).name === 'NoSuchUpload' || status === 405)) {
          fail('abort a resumable upload', session.key)(error);
        }
      }
      await deleteTail(client, bucket, target).catch(fail('abort a resumable upload', session.key));
    },
  };
}

async function deleteTail(client: S3Client, bucket: string, target: string): Promise<void> {
  await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: tailKey(target) }));
}

/** An error from S3 (it carries response metadata) rather than from the body being read. */
function isS3Failure(error: unknown): boolean {
  return (
    error instanceof ProviderError ||
    (typeof error === 'object' && error !== null && '$metadata' in (error as Record<string, unknown>))
  );
}
