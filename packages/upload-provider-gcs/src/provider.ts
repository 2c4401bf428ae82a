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
  downloadDisposition,
  invalidInput,
  joinKey,
  knownSize,
  type ObjectInfo,
  type ProviderFile,
  postPolicyTerms,
  type SignedUrl,
  type SignOptions,
  type StoredFile,
  type StoredRef,
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

const debug = createDebug(PROVIDER_NAME);

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

/** The methods of a GCS provider; the core adds `name`, `capabilities` and its guard. */
type GcsMethods = Omit<GcsProvider, 'name' | 'capabilities'>;

function createGcsProvider(options: GcsResolvedOptions): GcsMethods {
  const bucket: Bucket =
    typeof options.bucket === 'string'
      ? (options.storage ?? makeStorage(options)).bucket(options.bucket)
      : options.bucket;
  const bucketName = bucket.name;
  const visibility: Visibility = options.visibility;
  const baseUrl = bucketBaseUrl(bucket.storage.apiEndpoint, bucketName, options.baseUrl);

  const objectKey = (key: string) => joinKey(options.prefix, key);
  const fail =
    (operation: string, key?: string) =>
    (error: unknown): never => {
      throw toGcsProviderError(error, { operation, key, bucket: bucketName });
    };
  const plainUrl = (target: string) => `${baseUrl}/${encodeKey(target)}`;

  // Keys, types, sizes, metadata, ranges and lifetimes arrive checked by the core (see `limits` below).
  return {
    bucket,

    async upload(file: ProviderFile, opts: UploadOptions = {}): Promise<StoredFile> {
      const { key, mime } = file;
      const target = objectKey(key);
      const size = knownSize(file.body, file.size);
      const cacheControl = file.cacheControl ?? options.cacheControl;
      const metadata: FileMetadata = {
        contentType: mime,
        contentDisposition: contentDisposition(
          file.disposition ?? 'inline',
          file.name ? shortenFileName(file.name) : undefined,
        ),
        ...(cacheControl ? { cacheControl } : {}),
        ...(file.metadata && Object.keys(file.metadata).length > 0 ? { metadata: file.metadata } : {}),
      };
      const resumable = size === undefined || size > options.resumableThreshold;
      debug('upload', { bucket: bucketName, key: target, size, resumable, mime });
      const result = await streamUpload({
        file: bucket.file(target),
        body: toReadable(file.body),
        size,
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
        mime: stored.contentType ?? mime,
        ...(stored.etag ? { etag: stored.etag } : {}),
        providerMetadata: {
          bucket: bucketName,
          ...(stored.generation === undefined ? {} : { generation: String(stored.generation) }),
        },
      };
    },

    async delete(ref: StoredRef): Promise<void> {
      await bucket.file(objectKey(ref.key)).delete({ ignoreNotFound: true }).catch(fail('delete', ref.key));
    },

    isPrivate: () => visibility === 'private',

    url: (ref: StoredRef) => plainUrl(objectKey(ref.key)),

    async signUrl(ref: StoredRef, opts: SignOptions = {}): Promise<SignedUrl> {
      const disposition = downloadDisposition(opts);
      const { accessibleAt, expiresAt } = signingWindow(opts.expiresIn ?? options.urlExpiresIn);
      const [url] = await bucket
        .file(objectKey(ref.key))
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
      const { key, mime, maxSize } = req;
      const target = objectKey(key);
      const expiresIn = req.expiresIn ?? options.urlExpiresIn;
      const terms = postPolicyTerms(req);
      // Every field becomes an exact-match condition of the policy (the SDK adds `key` and `bucket` itself); the
      // client must send them unchanged.
      const fields: Record<string, string> = {
        ...terms.fields,
        ...(req.name ? { 'Content-Disposition': contentDisposition('inline', shortenFileName(req.name)) } : {}),
        ...(options.cacheControl ? { 'Cache-Control': options.cacheControl } : {}),
        ...(visibility === 'public-acl' ? { acl: 'public-read' } : {}),
      };
      const { expiresAt } = signingWindow(expiresIn);
      debug('createDirectUpload', { bucket: bucketName, key: target, mime, maxSize, expiresIn });
      const [policy] = await bucket
        .file(target)
        .generateSignedPostPolicyV4({ expires: expiresAt, fields, conditions: terms.conditions as never })
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
      try {
        const [md] = await bucket.file(objectKey(ref.key)).getMetadata();
        return {
          key: ref.key,
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

    async read(ref: StoredRef, wanted?: ByteRange): Promise<Readable> {
      const target = objectKey(ref.key);
      // The size is needed to refuse a range past the end (a 416 from Cloud Storage; some emulators send the whole
      // object instead), and the generation pins the bytes read to the object whose size was checked.
      const [md] = await bucket.file(target).getMetadata().catch(fail('read', ref.key));
      const size = Number(md.size ?? 0);
      if (wanted && wanted.start >= size && !(wanted.start === 0 && wanted.end === undefined)) {
        throw invalidInput(PROVIDER_NAME, `the range starts at byte ${wanted.start} but the object has ${size} bytes`, {
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
      // Nothing to release: the SDK keeps no sockets open between calls. The core refuses calls after close.
    },
  };
}

/**
 * The provider factory: `gcsProvider({ bucket, ... })`. Validates every option first and throws one
 * `INVALID_OPTIONS` error naming each bad option.
 */
export const gcsProvider = defineProvider({
  name: PROVIDER_NAME,
  options: gcsOptionsSchema,
  capabilities: CAPABILITIES,
  limits: {
    maxExpiresIn: GCS_LIMITS.maxExpiresIn,
    wholeSeconds: true,
    maxObjectSize: GCS_LIMITS.maxObjectSize,
    maxDirectUploadSize: GCS_LIMITS.maxObjectSize,
    // Custom metadata travels in the object resource; Cloud Storage allows 8 KiB of it in all.
    maxMetadataBytes: 8 * 1024,
  },
  create: createGcsProvider,
});
