import type { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  type ObjectCannedACL,
  type PutObjectCommandInput,
  S3Client,
  type ServerSideEncryption,
  type StorageClass,
} from '@aws-sdk/client-s3';
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
import { isMissingObject, PROVIDER_NAME, toS3ProviderError } from './errors.js';
import { type AwsS3ResolvedOptions, awsS3OptionsSchema, DEFAULTS, S3_LIMITS } from './options.js';
import { checkExpiresIn, presignGet, presignPost } from './presign.js';
import { deleteQuietly, streamUpload } from './upload.js';
import { objectUrl, type UrlConfig } from './urls.js';

/** An S3 provider: the contract's methods, every optional one included. */
export interface AwsS3Provider extends UploadProvider {
  readonly name: 'aws-s3';
  stat(file: StoredRef): Promise<ObjectInfo | null>;
  read(file: StoredRef, range?: ByteRange): Promise<Readable>;
  createDirectUpload(req: DirectUploadRequest): Promise<DirectUpload>;
  close(): Promise<void>;
}

const ALL_CAPABILITIES: Capabilities = Object.freeze({
  read: true,
  rangeRead: true,
  stat: true,
  directUpload: true,
  downloadName: true,
  contentType: true,
  unknownSize: true,
  emptyFiles: true,
});

/** S3 keeps user metadata in request headers: printable ASCII, at most 2 KB in all. */
const MAX_METADATA_BYTES = 2048;
const METADATA_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const PRINTABLE = /^[\x20-\x7e]*$/;
/** Long file names make long `Content-Disposition` headers, and S3 refuses requests with over 8 KB of headers. */
const MAX_DISPOSITION_NAME = 150;

const debug = createDebug(PROVIDER_NAME);
const invalidInput = (message: string, details?: Record<string, unknown>) =>
  sharedInvalidInput(PROVIDER_NAME, message, details);
const dispositionName = (name: string) => shortenFileName(name, MAX_DISPOSITION_NAME);

function checkMetadata(metadata: Record<string, string> | undefined): Record<string, string> | undefined {
  if (!metadata || Object.keys(metadata).length === 0) return undefined;
  let total = 0;
  for (const [name, value] of Object.entries(metadata)) {
    if (!METADATA_NAME.test(name))
      throw invalidInput(`metadata name ${JSON.stringify(name)} must be letters, digits, "-", "_" or "."`);
    if (typeof value !== 'string' || !PRINTABLE.test(value)) {
      throw invalidInput(
        `metadata ${JSON.stringify(name)} must be printable ASCII (S3 sends it as a header): encode it first`,
      );
    }
    total += Buffer.byteLength(name) + Buffer.byteLength(value);
  }
  if (total > MAX_METADATA_BYTES)
    throw invalidInput(`metadata is ${total} bytes; S3 allows at most ${MAX_METADATA_BYTES}`);
  return metadata;
}

function checkDeclaredSize(file: ProviderFile): number | undefined {
  const size = knownSize(file.body, file.size);
  if (size === undefined) return undefined;
  if (!Number.isSafeInteger(size) || size < 0)
    throw invalidInput(`size must be a whole number of bytes, got ${String(size)}`);
  if (size > S3_LIMITS.maxObjectSize) {
    throw new ProviderError('TOO_LARGE', `S3 stores objects of at most 5 TiB; this file declares ${size} bytes`, {
      provider: PROVIDER_NAME,
      details: { limit: S3_LIMITS.maxObjectSize, declared: size },
    });
  }
  return size;
}

function checkRange(range: ByteRange | undefined): string | undefined {
  if (range === undefined) return undefined;
  const { start, end } = range;
  if (!Number.isSafeInteger(start) || start < 0)
    throw invalidInput(`a range must start at a whole number of bytes ≥ 0, got ${String(start)}`);
  if (end !== undefined && (!Number.isSafeInteger(end) || end < start)) {
    throw invalidInput(`a range must end at or after its start (${start}), got ${String(end)}`);
  }
  if (start === 0 && end === undefined) return undefined;
  return `bytes=${start}-${end ?? ''}`;
}

function stripQuotes(etag: string | undefined): string | undefined {
  return etag?.replace(/^"|"$/g, '');
}

function createAwsS3Provider(options: AwsS3ResolvedOptions): AwsS3Provider {
  const region = options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? DEFAULTS.region;
  const checksumMode = options.checksumMode ?? DEFAULTS.checksumMode;
  const ownsClient = options.client === undefined;
  const client =
    options.client ??
    new S3Client({
      region,
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      forcePathStyle: options.forcePathStyle,
      ...(options.credentials ? { credentials: options.credentials } : {}),
      // The SDK's default (WHEN_SUPPORTED) sends stream bodies as aws-chunked with trailing checksums, which many
      // S3-compatible stores reject or store verbatim; WHEN_REQUIRED sends plain bodies.
      requestChecksumCalculation: checksumMode,
      responseChecksumValidation: checksumMode,
    });
  const bucket = options.bucket;
  const prefix = normalisePrefix(options.prefix);
  const urlConfig: UrlConfig = {
    bucket,
    region,
    endpoint: options.endpoint,
    forcePathStyle: options.forcePathStyle || client.config.forcePathStyle === true,
    baseUrl: options.baseUrl,
  };
  // `public-read` goes out only when the user asked for public objects and did not turn ACLs off.
  const acl: ObjectCannedACL | undefined =
    options.visibility === 'public' && options.sendAcl ? 'public-read' : undefined;
  const encryption = {
    ...(options.serverSideEncryption
      ? { ServerSideEncryption: options.serverSideEncryption as ServerSideEncryption }
      : {}),
    ...(options.kmsKeyId ? { SSEKMSKeyId: options.kmsKeyId } : {}),
  };
  let closed = false;

  const objectKey = (key: string) => joinKey(prefix, key);
  const fail =
    (operation: string, key?: string) =>
    (error: unknown): never => {
      throw toS3ProviderError(error, { operation, key, bucket });
    };
  const assertOpen = () => {
    if (closed) throw new ProviderError('INTERNAL', 'the provider was closed', { provider: PROVIDER_NAME });
  };

  const provider: AwsS3Provider = {
    name: PROVIDER_NAME,
    // Cloudflare R2 and Backblaze B2 do not implement S3's POST uploads; `directUpload: false` says so.
    capabilities: Object.freeze({ ...ALL_CAPABILITIES, directUpload: options.directUpload }),

    async upload(file: ProviderFile, opts: UploadOptions = {}): Promise<StoredFile> {
      assertOpen();
      const key = normaliseKey(file.key);
      const target = objectKey(key);
      const size = checkDeclaredSize(file);
      if (typeof file.mime !== 'string' || !MIME_TYPE.test(file.mime)) {
        throw invalidInput(`mime must be a content type like "image/png", got ${JSON.stringify(file.mime)}`);
      }
      const metadata = checkMetadata(file.metadata);
      if (opts.signal?.aborted)
        throw new ProviderError('ABORTED', `upload ${JSON.stringify(key)} was aborted`, { provider: PROVIDER_NAME });
      const cacheControl = file.cacheControl ?? options.cacheControl;
      const params: Omit<PutObjectCommandInput, 'Body'> = {
        Bucket: bucket,
        Key: target,
        ContentType: file.mime,
        ContentDisposition: contentDisposition(
          file.disposition ?? 'inline',
          file.name ? dispositionName(file.name) : undefined,
        ),
        ...(cacheControl ? { CacheControl: cacheControl } : {}),
        ...(metadata ? { Metadata: metadata } : {}),
        ...(options.storageClass ? { StorageClass: options.storageClass as StorageClass } : {}),
        ...(acl ? { ACL: acl } : {}),
        ...encryption,
      };
      debug('upload', { bucket, key: target, size, mime: file.mime });
      const result = await streamUpload({
        client,
        params,
        body: toReadable(file.body),
        size,
        partSize: options.partSize,
        queueSize: options.queueSize,
        signal: opts.signal,
      }).catch(fail('upload', key));
      if (opts.signal?.aborted) {
        await deleteQuietly(client, bucket, target);
        throw new ProviderError('ABORTED', `upload ${JSON.stringify(key)} was aborted`, { provider: PROVIDER_NAME });
      }
      if (size !== undefined && result.bytes !== size) {
        // SizeGuard refuses this before S3 completes the object; this is the last line of defence.
        await deleteQuietly(client, bucket, target);
        throw new ProviderError('INTEGRITY', `the body had ${result.bytes} bytes but ${size} were declared`, {
          provider: PROVIDER_NAME,
          details: { actual: result.bytes, declared: size },
        });
      }
      debug('uploaded', { bucket, key: target, bytes: result.bytes });
      return {
        key,
        url: objectUrl(urlConfig, target),
        size: result.bytes,
        mime: file.mime,
        ...(result.etag ? { etag: stripQuotes(result.etag) } : {}),
        providerMetadata: { bucket, ...(result.versionId ? { versionId: result.versionId } : {}) },
      };
    },

    async delete(ref: StoredRef): Promise<void> {
      assertOpen();
      const target = objectKey(ref.key);
      try {
        await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: target }));
      } catch (error) {
        if (isMissingObject(error)) return;
        fail('delete', ref.key)(error);
      }
    },

    isPrivate: () => options.visibility === 'private',

    url: (ref: StoredRef) => objectUrl(urlConfig, objectKey(ref.key)),

    async signUrl(ref: StoredRef, opts: SignOptions = {}): Promise<SignedUrl> {
      assertOpen();
      const target = objectKey(ref.key);
      const expiresIn = checkExpiresIn(opts.expiresIn ?? options.urlExpiresIn, 'expiresIn');
      const disposition = opts.downloadName
        ? contentDisposition(opts.disposition ?? 'attachment', dispositionName(opts.downloadName))
        : opts.disposition
          ? contentDisposition(opts.disposition)
          : undefined;
      return presignGet(client, { bucket, key: target, expiresIn, contentDisposition: disposition }).catch(
        fail('signUrl', ref.key),
      );
    },

    async createDirectUpload(req: DirectUploadRequest): Promise<DirectUpload> {
      assertOpen();
      if (!options.directUpload) {
        throw new ProviderError(
          'UNSUPPORTED',
          'direct uploads are turned off (directUpload: false), as for stores without S3 POST uploads (R2, B2)',
          { provider: PROVIDER_NAME },
        );
      }
      const key = normaliseKey(req.key);
      const target = objectKey(key);
      const minSize = req.minSize ?? 0;
      if (!Number.isSafeInteger(req.maxSize) || req.maxSize < 0 || req.maxSize > S3_LIMITS.maxPostSize) {
        throw invalidInput(
          `maxSize must be a whole number of bytes from 0 to ${S3_LIMITS.maxPostSize} (S3's limit for a POST), got ${String(req.maxSize)}`,
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
      // Every field below is signed as an exact-match condition; the client must send them unchanged.
      const fields: Record<string, string> = {
        ...(family || anyType ? {} : { 'Content-Type': req.mime }),
        success_action_status: '201',
        ...(acl ? { acl } : {}),
        ...(req.name ? { 'Content-Disposition': contentDisposition('inline', dispositionName(req.name)) } : {}),
        ...(options.cacheControl ? { 'Cache-Control': options.cacheControl } : {}),
        ...(options.storageClass ? { 'x-amz-storage-class': options.storageClass } : {}),
        ...(options.serverSideEncryption ? { 'x-amz-server-side-encryption': options.serverSideEncryption } : {}),
        ...(options.kmsKeyId ? { 'x-amz-server-side-encryption-aws-kms-key-id': options.kmsKeyId } : {}),
      };
      const conditions: unknown[] = [['content-length-range', minSize, req.maxSize]];
      // A family (or any type) cannot be a field: the browser sends the file's own Content-Type, which must match.
      if (family) conditions.push(['starts-with', '$Content-Type', family[1]]);
      if (anyType) conditions.push(['starts-with', '$Content-Type', '']);
      debug('createDirectUpload', { bucket, key: target, mime: req.mime, maxSize: req.maxSize, expiresIn });
      const signed = await presignPost(client, { bucket, key: target, expiresIn, fields, conditions }).catch(
        fail('createDirectUpload', key),
      );
      return {
        url: signed.url,
        method: 'POST',
        fields: signed.fields,
        fileField: 'file',
        key,
        expiresAt: signed.expiresAt,
        providerMetadata: { bucket },
      };
    },

    async stat(ref: StoredRef): Promise<ObjectInfo | null> {
      assertOpen();
      const target = objectKey(ref.key);
      try {
        const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: target }));
        return {
          key: normaliseKey(ref.key),
          size: head.ContentLength ?? 0,
          ...(head.ContentType ? { mime: head.ContentType } : {}),
          ...(head.ETag ? { etag: stripQuotes(head.ETag) } : {}),
          ...(head.LastModified ? { lastModified: head.LastModified } : {}),
        };
      } catch (error) {
        if (isMissingObject(error)) return null;
        return fail('stat', ref.key)(error);
      }
    },

    async read(ref: StoredRef, range?: ByteRange): Promise<Readable> {
      assertOpen();
      const target = objectKey(ref.key);
      const header = checkRange(range);
      const res = await client
        .send(new GetObjectCommand({ Bucket: bucket, Key: target, ...(header ? { Range: header } : {}) }))
        .catch(fail('read', ref.key));
      // In Node the SDK's body is an IncomingMessage, a Readable.
      return res.Body as Readable;
    },

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      if (ownsClient) client.destroy();
    },
  };
  return provider;
}

/**
 * The provider factory: `awsS3Provider({ bucket, region, ... })`. Validates every option first and throws one
 * `INVALID_OPTIONS` error naming each bad option.
 */
export const awsS3Provider = defineProvider({
  name: PROVIDER_NAME,
  options: awsS3OptionsSchema,
  create: createAwsS3Provider,
});
