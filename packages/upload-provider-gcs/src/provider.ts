import { PassThrough, type Readable } from 'node:stream';
import { type Bucket, type FileMetadata, Storage, type StorageOptions } from '@google-cloud/storage';
import {
  type ByteRange,
  type Capabilities,
  contentDisposition,
  createDebug,
  type DirectUpload,
  type DirectUploadRequest,
  defineProvider,
  joinKey,
  knownSize,
  MIME_FAMILY,
  MIME_TYPE,
  normaliseKey,
  normalisePrefix,
  type ObjectInfo,
  ProviderError,
  type ProviderFile,
  type SignedUrl,
  type SignOptions,
  type StoredFile,
  type StoredRef,
  invalidInput as sharedInvalidInput,
  shortenFileName,
  toReadable,
  type UploadOptions,
  type UploadProvider,
} from 'upload-provider';
import { isMissingObject, PROVIDER_NAME, toGcsProviderError } from './errors.js';
import { GCS_LIMITS, type GcsResolvedOptions, gcsOptionsSchema, type Visibility } from './options.js';
import { streamUpload } from './upload.js';
import { bucketBaseUrl, encodeKey } from './urls.js';

/** A Cloud Storage provider: the contract's methods, every optional one included. */
export interface GcsProvider extends UploadProvider {
  readonly name: 'gcs';
  /** The `Bucket` every object goes to (yours when you injected one). */
  readonly bucket: Bucket;
  stat(file: StoredRef): Promise<ObjectInfo | null>;
  read(file: StoredRef, range?: ByteRange): Promise<Readable>;
  createDirectUpload(req: DirectUploadRequest): Promise<DirectUpload>;
  close(): Promise<void>;
}

const CAPABILITIES: Capabilities = Object.freeze({
  read: true,
  rangeRead: true,
  stat: true,
  directUpload: true,
  downloadName: true,
  contentType: true,
  unknownSize: true,
  emptyFiles: true,
});

/** Custom metadata travels in the object resource; Cloud Storage allows 8 KiB of it in all. */
const MAX_METADATA_BYTES = 8 * 1024;
/** Long file names make long `Content-Disposition` values; keep them well inside header limits. */
const MAX_DISPOSITION_NAME = 150;

const debug = createDebug(PROVIDER_NAME);
const invalidInput = (message: string, details?: Record<string, unknown>) =>
  sharedInvalidInput(PROVIDER_NAME, message, details);
const dispositionName = (name: string) => shortenFileName(name, MAX_DISPOSITION_NAME);

function checkMetadata(metadata: Record<string, string> | undefined): Record<string, string> | undefined {
  if (!metadata || Object.keys(metadata).length === 0) return undefined;
  let total = 0;
  for (const [name, value] of Object.entries(metadata)) {
    if (name === '' || typeof value !== 'string') {
      throw invalidInput(`metadata ${JSON.stringify(name)} must have a non-empty name and a string value`);
    }
    total += Buffer.byteLength(name) + Buffer.byteLength(value);
  }
  if (total > MAX_METADATA_BYTES) {
    throw invalidInput(`metadata is ${total} bytes; Cloud Storage allows at most ${MAX_METADATA_BYTES}`);
  }
  return metadata;
}

function checkDeclaredSize(file: ProviderFile): number | undefined {
  const size = knownSize(file.body, file.size);
  if (size === undefined) return undefined;
  if (!Number.isSafeInteger(size) || size < 0) {
    throw invalidInput(`size must be a whole number of bytes, got ${String(size)}`);
  }
  if (size > GCS_LIMITS.maxObjectSize) {
    throw new ProviderError(
      'TOO_LARGE',
      `Cloud Storage stores objects of at most 5 TiB; this file declares ${size} bytes`,
      { provider: PROVIDER_NAME, details: { limit: GCS_LIMITS.maxObjectSize, declared: size } },
    );
  }
  return size;
}

/** Checks a lifetime in seconds: a whole number from 1 to Cloud Storage's 7 days. */
export function checkExpiresIn(expiresIn: number, what: string): number {
  if (
    typeof expiresIn !== 'number' ||
    !Number.isInteger(expiresIn) ||
    expiresIn < 1 ||
    expiresIn > GCS_LIMITS.maxExpiresIn
  ) {
    throw invalidInput(
      `${what} must be a whole number of seconds from 1 to ${GCS_LIMITS.maxExpiresIn} (7 days, the GCS maximum), got ${String(expiresIn)}`,
      { expiresIn },
    );
  }
  return expiresIn;
}

function checkRange(range: ByteRange | undefined): ByteRange | undefined {
  if (range === undefined) return undefined;
  const { start, end } = range;
  if (!Number.isSafeInteger(start) || start < 0) {
    throw invalidInput(`a range must start at a whole number of bytes ≥ 0, got ${String(start)}`);
  }
  if (end !== undefined && (!Number.isSafeInteger(end) || end < start)) {
    throw invalidInput(`a range must end at or after its start (${start}), got ${String(end)}`);
  }
  return range;
}

/** The signing clock: V4 signatures count whole seconds, so the lifetime starts at the current whole second. */
function signingWindow(expiresIn: number): { accessibleAt: Date; expiresAt: Date } {
  const accessibleAt = new Date(Math.floor(Date.now() / 1000) * 1000);
  return { accessibleAt, expiresAt: new Date(accessibleAt.getTime() + expiresIn * 1000) };
}

function makeStorage(options: GcsResolvedOptions): Storage {
  const config: StorageOptions = {
    ...(options.projectId ? { projectId: options.projectId } : {}),
    ...(options.keyFilename ? { keyFilename: options.keyFilename } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
    ...(options.apiEndpoint ? { apiEndpoint: options.apiEndpoint } : {}),
  };
  return new Storage(config);
}

function createGcsProvider(options: GcsResolvedOptions): GcsProvider {
  const bucket: Bucket =
    typeof options.bucket === 'string'
      ? (options.storage ?? makeStorage(options)).bucket(options.bucket)
      : options.bucket;
  const bucketName = bucket.name;
  const prefix = normalisePrefix(options.prefix);
  const visibility: Visibility = options.visibility;
  const baseUrl = bucketBaseUrl(bucket.storage.apiEndpoint, bucketName, options.baseUrl);
  let closed = false;

  const objectKey = (key: string) => joinKey(prefix, key);
  const fail =
    (operation: string, key?: string) =>
    (error: unknown): never => {
      throw toGcsProviderError(error, { operation, key, bucket: bucketName });
    };
  const assertOpen = () => {
    if (closed) throw new ProviderError('INTERNAL', 'the provider was closed', { provider: PROVIDER_NAME });
  };
  const plainUrl = (target: string) => `${baseUrl}/${encodeKey(target)}`;

  const provider: GcsProvider = {
    name: PROVIDER_NAME,
    capabilities: CAPABILITIES,
    bucket,

    async upload(file: ProviderFile, opts: UploadOptions = {}): Promise<StoredFile> {
      assertOpen();
      const key = normaliseKey(file.key);
      const target = objectKey(key);
      const size = checkDeclaredSize(file);
      if (typeof file.mime !== 'string' || !MIME_TYPE.test(file.mime)) {
        throw invalidInput(`mime must be a content type like "image/png", got ${JSON.stringify(file.mime)}`);
      }
      const custom = checkMetadata(file.metadata);
      if (opts.signal?.aborted) {
        throw new ProviderError('ABORTED', `upload ${JSON.stringify(key)} was aborted`, { provider: PROVIDER_NAME });
      }
      const cacheControl = file.cacheControl ?? options.cacheControl;
      const metadata: FileMetadata = {
        contentType: file.mime,
        contentDisposition: contentDisposition(
          file.disposition ?? 'inline',
          file.name ? dispositionName(file.name) : undefined,
        ),
        ...(cacheControl ? { cacheControl } : {}),
        ...(custom ? { metadata: custom } : {}),
      };
      const resumable = size === undefined || size > options.resumableThreshold;
      debug('upload', { bucket: bucketName, key: target, size, resumable, mime: file.mime });
      const result = await streamUpload({
        file: bucket.file(target),
        body: toReadable(file.body),
        size,
        limit: GCS_LIMITS.maxObjectSize,
        resumable,
        metadata,
        predefinedAcl: visibility === 'public-acl' ? 'publicRead' : undefined,
        signal: opts.signal,
      }).catch(fail('upload', key));
      const stored = result.metadata;
      return {
        key,
        url: plainUrl(target),
        size: result.bytes,
        mime: stored.contentType ?? file.mime,
        ...(stored.etag ? { etag: stored.etag } : {}),
        providerMetadata: {
          bucket: bucketName,
          ...(stored.generation === undefined ? {} : { generation: String(stored.generation) }),
        },
      };
    },

    async delete(ref: StoredRef): Promise<void> {
      assertOpen();
      const target = objectKey(ref.key);
      await bucket.file(target).delete({ ignoreNotFound: true }).catch(fail('delete', ref.key));
    },

    isPrivate: () => visibility === 'private',

    url: (ref: StoredRef) => plainUrl(objectKey(ref.key)),

    async signUrl(ref: StoredRef, opts: SignOptions = {}): Promise<SignedUrl> {
      assertOpen();
      const target = objectKey(ref.key);
      const expiresIn = checkExpiresIn(opts.expiresIn ?? options.urlExpiresIn, 'expiresIn');
      const disposition = opts.downloadName
        ? contentDisposition(opts.disposition ?? 'attachment', dispositionName(opts.downloadName))
        : opts.disposition
          ? contentDisposition(opts.disposition)
          : undefined;
      const { accessibleAt, expiresAt } = signingWindow(expiresIn);
      const [url] = await bucket
        .file(target)
        .getSignedUrl({
          version: 'v4',
          action: 'read',
          accessibleAt,
          expires: expiresAt,
          ...(disposition ? { responseDisposition: disposition } : {}),
        })
        .catch(fail('signUrl', ref.key));
      return { url, expiresAt };
    },

    async createDirectUpload(req: DirectUploadRequest): Promise<DirectUpload> {
      assertOpen();
      const key = normaliseKey(req.key);
      const target = objectKey(key);
      const minSize = req.minSize ?? 0;
      if (!Number.isSafeInteger(req.maxSize) || req.maxSize < 0 || req.maxSize > GCS_LIMITS.maxObjectSize) {
        throw invalidInput(
          `maxSize must be a whole number of bytes from 0 to ${GCS_LIMITS.maxObjectSize} (5 TiB), got ${String(req.maxSize)}`,
        );
      }
      if (!Number.isSafeInteger(minSize) || minSize < 0 || minSize > req.maxSize) {
        throw invalidInput(
          `minSize must be a whole number of bytes from 0 to maxSize (${req.maxSize}), got ${String(minSize)}`,
        );
      }
      const expiresIn = checkExpiresIn(req.expiresIn ?? options.urlExpiresIn, 'expiresIn');
      const family = MIME_FAMILY.exec(req.mime ?? '');
      const anyType = req.mime === '*/*';
      if (!anyType && !family && !(typeof req.mime === 'string' && MIME_TYPE.test(req.mime))) {
        throw invalidInput(
          `mime must be a content type ("image/png"), a family ("image/*") or "*/*", got ${JSON.stringify(req.mime)}`,
        );
      }
      // Every field becomes an exact-match condition of the policy (the SDK adds `key` and `bucket` itself); the
      // client must send them unchanged.
      const fields: Record<string, string> = {
        ...(family || anyType ? {} : { 'Content-Type': req.mime }),
        ...(req.name ? { 'Content-Disposition': contentDisposition('inline', dispositionName(req.name)) } : {}),
        ...(options.cacheControl ? { 'Cache-Control': options.cacheControl } : {}),
        ...(visibility === 'public-acl' ? { acl: 'public-read' } : {}),
      };
      const conditions: (string | number)[][] = [['content-length-range', minSize, req.maxSize]];
      // A family (or any type) cannot be a field: the browser sends the file's own Content-Type, which must match.
      if (family) conditions.push(['starts-with', '$Content-Type', family[1]!]);
      if (anyType) conditions.push(['starts-with', '$Content-Type', '']);
      const { expiresAt } = signingWindow(expiresIn);
      debug('createDirectUpload', { bucket: bucketName, key: target, mime: req.mime, maxSize: req.maxSize, expiresIn });
      const [policy] = await bucket
        .file(target)
        .generateSignedPostPolicyV4({ expires: expiresAt, fields, conditions: conditions as never })
        .catch(fail('createDirectUpload', key));
      return {
        url: policy.url,
        method: 'POST',
        fields: policy.fields,
        fileField: 'file',
        key,
        expiresAt,
        providerMetadata: { bucket: bucketName },
      };
    },

    async stat(ref: StoredRef): Promise<ObjectInfo | null> {
      assertOpen();
      const target = objectKey(ref.key);
      try {
        const [md] = await bucket.file(target).getMetadata();
        return {
          key: normaliseKey(ref.key),
          size: Number(md.size ?? 0),
          ...(md.contentType ? { mime: md.contentType } : {}),
          ...(md.etag ? { etag: md.etag } : {}),
          ...(md.updated ? { lastModified: new Date(md.updated) } : {}),
        };
      } catch (error) {
        if (isMissingObject(error)) return null;
        return fail('stat', ref.key)(error);
      }
    },

    async read(ref: StoredRef, range?: ByteRange): Promise<Readable> {
      assertOpen();
      const target = objectKey(ref.key);
      const wanted = checkRange(range);
      // The size is needed to refuse a range past the end (a 416 from Cloud Storage; some emulators send the whole
      // object instead), and the generation pins the bytes read to the object whose size was checked.
      const [md] = await bucket.file(target).getMetadata().catch(fail('read', ref.key));
      const size = Number(md.size ?? 0);
      if (wanted && wanted.start >= size && !(wanted.start === 0 && wanted.end === undefined)) {
        throw invalidInput(`the range starts at byte ${wanted.start} but the object has ${size} bytes`, {
          start: wanted.start,
          size,
        });
      }
      const ranged = wanted !== undefined && (wanted.start > 0 || (wanted.end !== undefined && wanted.end < size - 1));
      const source = bucket
        .file(target, md.generation === undefined ? {} : { generation: Number(md.generation) })
        .createReadStream(
          ranged ? { start: wanted.start, ...(wanted.end === undefined ? {} : { end: wanted.end }) } : {},
        );
      // Errors surface on the returned stream as ProviderErrors, like every other rejection of the contract.
      const out = new PassThrough();
      source.on('error', (error) =>
        out.destroy(toGcsProviderError(error, { operation: 'read', key: ref.key, bucket: bucketName })),
      );
      out.on('close', () => {
        if (!source.destroyed) source.destroy();
      });
      return source.pipe(out);
    },

    async close(): Promise<void> {
      closed = true;
    },
  };
  return provider;
}

/**
 * The provider factory: `gcsProvider({ bucket, ... })`. Validates every option first and throws one
 * `INVALID_OPTIONS` error naming each bad option.
 */
export const gcsProvider = defineProvider({
  name: PROVIDER_NAME,
  options: gcsOptionsSchema,
  create: createGcsProvider,
});
