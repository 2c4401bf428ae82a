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
  downloadDisposition,
  joinKey,
  knownSize,
  type ObjectInfo,
  ProviderError,
  type ProviderFile,
  postPolicyTerms,
  type ResumableSessions,
  type SignedUrl,
  type SignOptions,
  type StoredFile,
  type StoredRef,
  shortenFileName,
  toReadable,
  type UploadOptions,
  type UploadProvider,
} from 'upload-provider';
import { isMissingObject, PROVIDER_NAME, toS3ProviderError } from './errors.js';
import { type AwsS3ResolvedOptions, awsS3OptionsSchema, DEFAULTS, S3_LIMITS } from './options.js';
import { presignGet, presignPost } from './presign.js';
import { s3Sessions } from './resumable.js';
import { deleteQuietly, streamUpload } from './upload.js';
import { objectUrl, type UrlConfig } from './urls.js';

/** An S3 provider: the contract's methods, every optional one included. */
export interface AwsS3Provider extends UploadProvider {
  readonly name: 'aws-s3';
  stat(file: StoredRef): Promise<ObjectInfo | null>;
  read(file: StoredRef, range?: ByteRange): Promise<Readable>;
  createDirectUpload(req: DirectUploadRequest): Promise<DirectUpload>;
  close(): Promise<void>;
  readonly resumable: ResumableSessions;
}

/** What every S3 provider supports; `directUpload` follows the option of that name. */
const CAPABILITIES: Capabilities = Object.freeze({
  read: true,
  rangeRead: true,
  stat: true,
  directUpload: true,
  downloadName: true,
  contentType: true,
  unknownSize: true,
  emptyFiles: true,
  resumable: true,
});

const debug = createDebug(PROVIDER_NAME);

function stripQuotes(etag: string | undefined): string | undefined {
  return etag?.replace(/^"|"$/g, '');
}

/** The `Range` header for a checked range; none when the whole object is wanted. */
function rangeHeader(range: ByteRange | undefined): string | undefined {
  if (range === undefined || (range.start === 0 && range.end === undefined)) return undefined;
  return `bytes=${range.start}-${range.end ?? ''}`;
}

/** The methods of an S3 provider; the core adds `name`, `capabilities` and its guard. */
type AwsS3Methods = Omit<AwsS3Provider, 'name' | 'capabilities'>;

function createAwsS3Provider(options: AwsS3ResolvedOptions): AwsS3Methods {
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

  const objectKey = (key: string) => joinKey(options.prefix, key);
  const fail =
    (operation: string, key?: string) =>
    (error: unknown): never => {
      throw toS3ProviderError(error, { operation, key, bucket });
    };

  // Keys, types, sizes, metadata, ranges and lifetimes arrive checked by the core (see `limits` below).
  const provider: AwsS3Methods = {
    resumable: s3Sessions({
      client,
      bucket,
      objectKey,
      partSize: options.partSize,
      url: (target) => objectUrl(urlConfig, target),
      objectParams: (req) => ({
        ContentType: req.mime,
        ContentDisposition: contentDisposition(req.disposition ?? 'inline', shortenFileName(req.name)),
        ...(options.cacheControl ? { CacheControl: options.cacheControl } : {}),
        ...(options.storageClass ? { StorageClass: options.storageClass as StorageClass } : {}),
        ...(acl ? { ACL: acl } : {}),
        ...encryption,
      }),
    }),

    async upload(file: ProviderFile, opts: UploadOptions = {}): Promise<StoredFile> {
      const { key, mime } = file;
      const target = objectKey(key);
      const size = knownSize(file.body, file.size);
      const cacheControl = file.cacheControl ?? options.cacheControl;
      const params: Omit<PutObjectCommandInput, 'Body'> = {
        Bucket: bucket,
        Key: target,
        ContentType: mime,
        ContentDisposition: contentDisposition(
          file.disposition ?? 'inline',
          file.name ? shortenFileName(file.name) : undefined,
        ),
        ...(cacheControl ? { CacheControl: cacheControl } : {}),
        ...(file.metadata && Object.keys(file.metadata).length > 0 ? { Metadata: file.metadata } : {}),
        ...(options.storageClass ? { StorageClass: options.storageClass as StorageClass } : {}),
        ...(acl ? { ACL: acl } : {}),
        ...encryption,
      };
      debug('upload', { bucket, key: target, size, mime });
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
      debug('uploaded', { bucket, key: target, bytes: result.bytes });
      return {
        key,
        url: objectUrl(urlConfig, target),
        size: result.bytes,
        mime,
        ...(result.etag ? { etag: stripQuotes(result.etag) } : {}),
        providerMetadata: { bucket, ...(result.versionId ? { versionId: result.versionId } : {}) },
      };
    },

    async delete(ref: StoredRef): Promise<void> {
      try {
        await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: objectKey(ref.key) }));
      } catch (error) {
        if (isMissingObject(error)) return;
        fail('delete', ref.key)(error);
      }
    },

    isPrivate: () => options.visibility === 'private',

    url: (ref: StoredRef) => objectUrl(urlConfig, objectKey(ref.key)),

    async signUrl(ref: StoredRef, opts: SignOptions = {}): Promise<SignedUrl> {
      const expiresIn = opts.expiresIn ?? options.urlExpiresIn;
      const disposition = downloadDisposition(opts);
      return presignGet(client, { bucket, key: objectKey(ref.key), expiresIn, contentDisposition: disposition }).catch(
        fail('signUrl', ref.key),
      );
    },

    async createDirectUpload(req: DirectUploadRequest): Promise<DirectUpload> {
      const { key, mime, maxSize } = req;
      const target = objectKey(key);
      const expiresIn = req.expiresIn ?? options.urlExpiresIn;
      const terms = postPolicyTerms(req);
      // Every field below is signed as an exact-match condition; the client must send them unchanged.
      const fields: Record<string, string> = {
        ...terms.fields,
        success_action_status: '201',
        ...(acl ? { acl } : {}),
        ...(req.name ? { 'Content-Disposition': contentDisposition('inline', shortenFileName(req.name)) } : {}),
        ...(options.cacheControl ? { 'Cache-Control': options.cacheControl } : {}),
        ...(options.storageClass ? { 'x-amz-storage-class': options.storageClass } : {}),
        ...(options.serverSideEncryption ? { 'x-amz-server-side-encryption': options.serverSideEncryption } : {}),
        ...(options.kmsKeyId ? { 'x-amz-server-side-encryption-aws-kms-key-id': options.kmsKeyId } : {}),
      };
      debug('createDirectUpload', { bucket, key: target, mime, maxSize, expiresIn });
      const signed = await presignPost(client, {
        bucket,
        key: target,
        expiresIn,
        fields,
        conditions: terms.conditions,
      }).catch(fail('createDirectUpload', key));
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
      try {
        const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: objectKey(ref.key) }));
        return {
          key: ref.key,
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
      const header = rangeHeader(range);
      const res = await client
        .send(new GetObjectCommand({ Bucket: bucket, Key: objectKey(ref.key), ...(header ? { Range: header } : {}) }))
        .catch(fail('read', ref.key));
      // In Node the SDK's body is an IncomingMessage, a Readable.
      return res.Body as Readable;
    },

    async close(): Promise<void> {
      if (ownsClient) client.destroy();
    },
  };
  // Cloudflare R2 and Backblaze B2 have no S3 POST uploads: with `directUpload: false` the method is left out, and
  // the core answers it with UNSUPPORTED.
  if (!options.directUpload) delete (provider as Partial<AwsS3Methods>).createDirectUpload;
  return provider;
}

/**
 * The provider factory: `awsS3Provider({ bucket, region, ... })`. Validates every option first and throws one
 * `INVALID_OPTIONS` error naming each bad option.
 */
export const awsS3Provider = defineProvider({
  name: PROVIDER_NAME,
  options: awsS3OptionsSchema,
  capabilities: (o) => ({ ...CAPABILITIES, directUpload: o.directUpload }),
  limits: {
    maxExpiresIn: S3_LIMITS.maxExpiresIn,
    wholeSeconds: true,
    maxObjectSize: S3_LIMITS.maxObjectSize,
    maxDirectUploadSize: S3_LIMITS.maxPostSize,
    // S3 keeps user metadata in request headers: printable ASCII, at most 2 KB in all.
    maxMetadataBytes: 2048,
    metadataInHeaders: true,
  },
  create: createAwsS3Provider,
});
