import { Readable, Transform, type TransformCallback } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import {
  type ByteRange,
  type Capabilities,
  createDebug,
  type DirectUpload,
  type DirectUploadRequest,
  joinKey,
  knownSize,
  normaliseKey,
  type ObjectInfo,
  ProviderError,
  type ProviderFile,
  type SignedUrl,
  type SignOptions,
  type StoredFile,
  type StoredRef,
  toReadable,
  type UploadOptions,
  type UploadProvider,
} from 'upload-provider';
import { codeFor, sdkFailure, toCloudinaryError } from './errors.js';
import { allowedFormatsFor, chooseResourceType, mimeForFormat, resourceTypeForMime, SNIFF_BYTES } from './formats.js';
import { MAX_URL_EXPIRES_IN, type ResolvedOptions, UPLOAD_SIGNATURE_LIFETIME } from './options.js';
import { type AssetLocation, candidateLocations, locationFromMetadata, publicIdFor } from './public-ids.js';
import { type CloudinarySdk, defaultSdk } from './sdk.js';
import { apiAgent, DeclaredSize, peek, sendChunked, sendSingle } from './upload.js';

export const PROVIDER_NAME = 'cloudinary';
const DEFAULT_API_URL = 'https://api.cloudinary.com';
const debug = createDebug(PROVIDER_NAME);

const CAPABILITIES: Capabilities = Object.freeze({
  read: true,
  rangeRead: true,
  stat: true,
  directUpload: true,
  // The download API offers `attachment` but always names the file after its public id.
  downloadName: false,
  // Cloudinary serves a type derived from the format it detects (or a raw file's extension), not the one uploaded.
  contentType: false,
  unknownSize: true,
  // Cloudinary answers "Empty file" to a zero-byte upload; upload() refuses one with INVALID_INPUT before any request.
  emptyFiles: false,
});

export interface CloudinaryProvider extends UploadProvider {
  readonly capabilities: Capabilities;
  createDirectUpload(req: DirectUploadRequest): Promise<DirectUpload>;
  stat(ref: StoredRef): Promise<ObjectInfo | null>;
  read(ref: StoredRef, range?: ByteRange): Promise<Readable>;
}

function invalid(message: string, details?: Record<string, unknown>): ProviderError {
  return new ProviderError('INVALID_INPUT', message, { provider: PROVIDER_NAME, details });
}

/** Skips `start` bytes and stops after `end` (inclusive), for a server that answered a range request with everything. */
class Slice extends Transform {
  private offset = 0;
  constructor(
    private readonly first: number,
    private readonly last: number | undefined,
  ) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    const from = this.offset;
    this.offset += chunk.length;
    const last = this.last === undefined ? Number.POSITIVE_INFINITY : this.last;
    const a = Math.max(this.first - from, 0);
    const b = Math.min(last + 1 - from, chunk.length);
    done(null, a < b ? chunk.subarray(a, b) : undefined);
  }
}

export function createCloudinaryProvider(o: ResolvedOptions): CloudinaryProvider {
  const sdk: CloudinarySdk = o.client ?? defaultSdk();
  const { cloudName, apiKey, apiSecret } = o.credentials;
  const configured = sdk.config().upload_prefix;
  const apiUrl = (o.apiUrl ?? (typeof configured === 'string' && configured ? configured : DEFAULT_API_URL)).replace(
    /\/+$/,
    '',
  );
  // The SDK picks http or https once, when it is loaded; passing an agent of the API URL's own protocol on every call
  // makes `apiUrl` work whatever the SDK chose.
  const agent = apiAgent(apiUrl, true);
  const credentials = {
    cloud_name: cloudName,
    api_key: apiKey,
    api_secret: apiSecret,
    signature_algorithm: o.signatureAlgorithm,
    upload_prefix: apiUrl,
  };
  const delivery = o.delivery;
  const isPrivate = delivery !== 'upload';

  const objectName = (key: string) => joinKey(o.folder, key);

  const locationsOf = (ref: StoredRef): { key: string; locations: AssetLocation[] } => {
    const key = normaliseKey(ref.key);
    const recorded = locationFromMetadata(ref.providerMetadata);
    return { key, locations: recorded ? [recorded] : candidateLocations(objectName(key), delivery, PROVIDER_NAME) };
  };

  const deliveryUrl = (loc: AssetLocation): string =>
    sdk.url(loc.public_id, {
      ...credentials,
      resource_type: loc.resource_type,
      type: loc.type,
      version: loc.version,
      format: loc.format,
      secure: o.secure,
      cdn_subdomain: o.cdnSubdomain,
      private_cdn: o.privateCdn,
      secure_distribution: o.secureDistribution,
      cname: o.cname,
      sign_url: false,
      urlAnalytics: false,
    });

  const lifetime = (expiresIn: number | undefined, max: number, what: string): number => {
    const seconds = expiresIn ?? Math.min(o.urlExpiresIn, max);
    if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds <= 0) {
      throw invalid(`${what} must be a positive number of seconds, got ${String(expiresIn)}`);
    }
    if (seconds > max) throw invalid(`${what} must be at most ${max} seconds on Cloudinary, got ${seconds}`);
    return Math.ceil(seconds);
  };

  /** A time-limited URL of Cloudinary's download API, which serves the original and refuses it after `expiresAt`. */
  const downloadUrl = (loc: AssetLocation, expiresAt: number, attachment: boolean): string =>
    sdk.utils.private_download_url(loc.public_id, loc.format ?? '', {
      ...credentials,
      resource_type: loc.resource_type,
      type: loc.type,
      expires_at: expiresAt,
      attachment: attachment || undefined,
    });

  const destroyAt = async (loc: AssetLocation): Promise<void> => {
    try {
      const answer = await sdk.uploader.destroy(loc.public_id, {
        ...credentials,
        agent,
        resource_type: loc.resource_type,
        type: loc.type,
        invalidate: o.invalidate || undefined,
      });
      const result = answer?.result;
      if (result !== 'ok' && result !== 'not found') {
        throw new ProviderError('INTERNAL', `destroy answered ${JSON.stringify(result)}`, { provider: PROVIDER_NAME });
      }
      debug('destroy', { public_id: loc.public_id, resource_type: loc.resource_type, result });
    } catch (e) {
      if (codeFor(sdkFailure(e)) === 'NOT_FOUND') return;
      throw toCloudinaryError(e, PROVIDER_NAME, `deleting ${loc.public_id}`);
    }
  };

  /** Removes what a failed upload may have created; a failure here must not hide the upload's own error. */
  const discard = async (loc: AssetLocation): Promise<void> => {
    try {
      await destroyAt(loc);
    } catch (e) {
      debug('could not remove a failed upload', { public_id: loc.public_id, error: String(e) });
    }
  };

  async function upload(file: ProviderFile, opts: UploadOptions = {}): Promise<StoredFile> {
    const key = normaliseKey(file.key);
    const name = objectName(key);
    const { signal } = opts;
    if (typeof file.mime !== 'string' || !/^[^/\s]+\/[^/\s]+$/.test(file.mime)) {
      throw invalid(`mime must be a content type like "image/png", got ${JSON.stringify(file.mime)}`);
    }
    if (file.size !== undefined && (!Number.isSafeInteger(file.size) || file.size < 0)) {
      throw invalid(`size must be a whole number of bytes, got ${String(file.size)}`);
    }
    if (file.body instanceof Uint8Array && file.size !== undefined && file.size !== file.body.byteLength) {
      throw new ProviderError(
        'INTEGRITY',
        `the body had ${file.body.byteLength} bytes but ${file.size} were declared`,
        {
          provider: PROVIDER_NAME,
        },
      );
    }
    const declared = knownSize(file.body, file.size);
    const emptyFile = () => invalid('Cloudinary does not store empty files (it answers "Empty file")', { key });
    if (declared === 0) throw emptyFile();
    if (signal?.aborted)
      throw new ProviderError('ABORTED', 'the upload was aborted before it started', { provider: PROVIDER_NAME });

    const source = toReadable(file.body);
    let head: Uint8Array;
    try {
      head =
        file.body instanceof Uint8Array ? file.body.subarray(0, SNIFF_BYTES) : await peek(source, SNIFF_BYTES, signal);
    } catch (e) {
      source.destroy();
      if (signal?.aborted)
        throw new ProviderError('ABORTED', 'the upload was aborted', { provider: PROVIDER_NAME, cause: e });
      throw toCloudinaryError(e, PROVIDER_NAME, `reading the body of ${key}`);
    }
    if (head.length === 0) {
      source.destroy();
      throw emptyFile();
    }
    const resourceType = chooseResourceType(file.mime, head);
    const publicId = publicIdFor(name, resourceType, PROVIDER_NAME);
    const wanted: AssetLocation = { public_id: publicId, resource_type: resourceType, type: delivery };

    // Context is sent as `k=v|k=v`: the SDK escapes `=` and `|` in values, but a key holding one cannot be sent.
    const context: Record<string, string> = { ...o.context };
    for (const [k, v] of Object.entries(file.metadata ?? {})) {
      if (k !== '' && !/[=|]/.test(k) && typeof v === 'string') context[k] = v;
      else debug('metadata key skipped: Cloudinary context keys cannot hold "=" or "|"', { key: k });
    }
    const params: Record<string, unknown> = {
      ...credentials,
      resource_type: resourceType,
      public_id: publicId,
      type: delivery,
      overwrite: true,
      invalidate: o.invalidate || undefined,
      upload_preset: o.uploadPreset,
      tags: o.tags,
      context: Object.keys(context).length > 0 ? context : undefined,
      filename: 'file',
    };
    const uploading = apiAgent(apiUrl, false);
    const controller = new AbortController();
    const onAbort = () => {
      controller.abort(signal?.reason);
      uploading.destroy();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const guard = new DeclaredSize(declared, PROVIDER_NAME);
    const send = { sdk, params, agent: uploading, signal: controller.signal };
    debug('upload', { public_id: publicId, resource_type: resourceType, type: delivery, size: declared ?? 'unknown' });

    let answer: Record<string, unknown>;
    try {
      answer =
        declared !== undefined && declared <= o.chunkSize
          ? await sendSingle(source, guard, send)
          : (await sendChunked(source, guard, o.chunkSize, send)).answer;
    } catch (e) {
      source.destroy();
      if (signal?.aborted)
        throw new ProviderError('ABORTED', 'the upload was aborted', { provider: PROVIDER_NAME, cause: e });
      throw toCloudinaryError(e, PROVIDER_NAME, `uploading ${key}`);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      uploading.destroy();
    }

    const stored: AssetLocation = {
      public_id: typeof answer.public_id === 'string' ? answer.public_id : wanted.public_id,
      resource_type: ['image', 'video', 'raw'].includes(answer.resource_type as string)
        ? (answer.resource_type as AssetLocation['resource_type'])
        : resourceType,
      type: typeof answer.type === 'string' ? answer.type : delivery,
    };
    if (typeof answer.version === 'number') stored.version = answer.version;
    if (typeof answer.format === 'string' && answer.format !== '' && stored.resource_type !== 'raw')
      stored.format = answer.format;

    if (signal?.aborted) {
      await discard(stored);
      throw new ProviderError('ABORTED', 'the upload was aborted', { provider: PROVIDER_NAME });
    }
    if (typeof answer.bytes === 'number' && answer.bytes !== guard.bytes) {
      await discard(stored);
      throw new ProviderError('INTEGRITY', `Cloudinary stored ${answer.bytes} bytes but ${guard.bytes} were sent`, {
        provider: PROVIDER_NAME,
        details: { stored: answer.bytes, sent: guard.bytes },
      });
    }
    const result: StoredFile = {
      key,
      url: deliveryUrl(stored),
      size: guard.bytes,
      mime: file.mime,
      providerMetadata: { ...stored },
    };
    if (typeof answer.etag === 'string') result.etag = answer.etag;
    return result;
  }

  async function remove(ref: StoredRef): Promise<void> {
    const { locations } = locationsOf(ref);
    for (const loc of locations) await destroyAt(loc);
  }

  async function signUrl(ref: StoredRef, opts: SignOptions = {}): Promise<SignedUrl> {
    const { locations } = locationsOf(ref);
    const seconds = lifetime(opts.expiresIn, MAX_URL_EXPIRES_IN, 'expiresIn');
    const expiresAt = Math.floor(Date.now() / 1000) + seconds;
    const attachment =
      opts.disposition === 'attachment' || (opts.downloadName !== undefined && opts.disposition !== 'inline');
    return { url: downloadUrl(locations[0]!, expiresAt, attachment), expiresAt: new Date(expiresAt * 1000) };
  }

  async function stat(ref: StoredRef): Promise<ObjectInfo | null> {
    const { key, locations } = locationsOf(ref);
    for (const loc of locations) {
      let r: Record<string, unknown>;
      try {
        r = await sdk.api.resource(loc.public_id, {
          ...credentials,
          agent,
          resource_type: loc.resource_type,
          type: loc.type,
        });
      } catch (e) {
        if (codeFor(sdkFailure(e)) === 'NOT_FOUND') continue;
        throw toCloudinaryError(e, PROVIDER_NAME, `looking up ${loc.public_id}`);
      }
      if (typeof r.bytes !== 'number') {
        throw new ProviderError('INTERNAL', `the Admin API gave no size for ${loc.public_id}`, {
          provider: PROVIDER_NAME,
        });
      }
      const info: ObjectInfo = { key, size: r.bytes };
      const mime = mimeForFormat(typeof r.format === 'string' ? r.format : undefined);
      if (mime && loc.resource_type !== 'raw') info.mime = mime;
      if (typeof r.etag === 'string') info.etag = r.etag;
      if (typeof r.created_at === 'string') info.lastModified = new Date(r.created_at);
      return info;
    }
    return null;
  }

  async function read(ref: StoredRef, range?: ByteRange): Promise<Readable> {
    const { key, locations } = locationsOf(ref);
    if (range !== undefined) {
      const { start, end } = range;
      if (!Number.isSafeInteger(start) || start < 0)
        throw invalid(`a range must start at a whole number >= 0, got ${start}`);
      if (end !== undefined && (!Number.isSafeInteger(end) || end < start)) {
        throw invalid(`a range must not end (${end}) before it starts (${start})`);
      }
    }
    const headers: Record<string, string> = range ? { range: `bytes=${range.start}-${range.end ?? ''}` } : {};
    for (const loc of locations) {
      const url = isPrivate
        ? downloadUrl(loc, Math.floor(Date.now() / 1000) + o.urlExpiresIn, false)
        : deliveryUrl(loc);
      let res: Response;
      try {
        res = await fetch(url, { headers });
      } catch (e) {
        throw new ProviderError('UNAVAILABLE', `reading ${key}: ${(e as Error).message}`, {
          provider: PROVIDER_NAME,
          cause: e,
        });
      }
      if (res.status === 404) {
        await res.body?.cancel();
        continue;
      }
      if (res.status === 416) {
        await res.body?.cancel();
        throw invalid(`the range ${headers.range} does not fit ${key}`, { range });
      }
      if (!res.ok || !res.body) {
        const text = await res.text().catch(() => '');
        const status = res.status;
        const message =
          /"message"\s*:\s*"([^"]*)"/.exec(text)?.[1] ?? (res.headers.get('x-cld-error') || res.statusText);
        throw toCloudinaryError({ message, http_code: status }, PROVIDER_NAME, `reading ${key}`);
      }
      const body = Readable.fromWeb(res.body as unknown as WebReadableStream<Uint8Array>);
      if (!range || res.status === 206) return body;
      // The server ignored the range: cut it out of the whole file.
      const length = Number(res.headers.get('content-length'));
      if (Number.isFinite(length) && range.start >= length && length > 0) {
        body.destroy();
        throw invalid(`the range ${headers.range} does not fit ${key} (${length} bytes)`, { range });
      }
      return body.pipe(new Slice(range.start, range.end));
    }
    throw new ProviderError('NOT_FOUND', `${key} does not exist`, { provider: PROVIDER_NAME, details: { key } });
  }

  async function createDirectUpload(req: DirectUploadRequest): Promise<DirectUpload> {
    const key = normaliseKey(req.key);
    const name = objectName(key);
    if (typeof req.mime !== 'string' || !/^[\w.+-]+\/([\w.+-]+|\*)$/.test(req.mime)) {
      throw invalid(`mime must be a content type like "image/png" or "image/*", got ${JSON.stringify(req.mime)}`);
    }
    if (!Number.isSafeInteger(req.maxSize) || req.maxSize <= 0)
      throw invalid(`maxSize must be a positive whole number, got ${req.maxSize}`);
    if (
      req.minSize !== undefined &&
      (!Number.isSafeInteger(req.minSize) || req.minSize < 0 || req.minSize > req.maxSize)
    ) {
      throw invalid(`minSize must be a whole number between 0 and maxSize, got ${req.minSize}`);
    }
    const seconds = lifetime(req.expiresIn, UPLOAD_SIGNATURE_LIFETIME, 'expiresIn');
    const resourceType = resourceTypeForMime(req.mime);
    const publicId = publicIdFor(name, resourceType, PROVIDER_NAME);
    const formats = allowedFormatsFor(req.mime);
    // Cloudinary accepts a signature for one hour after its timestamp and has no expiry field: backdating the
    // timestamp makes it refuse the form ("Stale request") once the requested lifetime has passed.
    const timestamp = Math.floor(Date.now() / 1000) - (UPLOAD_SIGNATURE_LIFETIME - seconds);
    const params: Record<string, string> = {
      timestamp: String(timestamp),
      public_id: publicId,
      type: delivery,
      overwrite: 'true',
    };
    if (formats) params.allowed_formats = formats.join(',');
    if (o.uploadPreset) params.upload_preset = o.uploadPreset;
    if (o.tags?.length) params.tags = o.tags.join(',');
    const signature = sdk.utils.api_sign_request(params, apiSecret, o.signatureAlgorithm);
    const url = sdk.utils.api_url('upload', {
      cloud_name: cloudName,
      upload_prefix: apiUrl,
      resource_type: resourceType,
    });
    const providerMetadata: Record<string, unknown> = {
      public_id: publicId,
      resource_type: resourceType,
      type: delivery,
    };
    if (formats?.length === 1 && resourceType !== 'raw') providerMetadata.format = formats[0];
    debug('direct upload', {
      public_id: publicId,
      resource_type: resourceType,
      allowed_formats: params.allowed_formats,
    });
    return {
      url,
      method: 'POST',
      fields: { ...params, api_key: apiKey, signature },
      fileField: 'file',
      key,
      expiresAt: new Date((timestamp + UPLOAD_SIGNATURE_LIFETIME) * 1000),
      providerMetadata,
    };
  }

  return {
    name: PROVIDER_NAME,
    capabilities: CAPABILITIES,
    upload,
    delete: remove,
    isPrivate: () => isPrivate,
    url: (ref) => deliveryUrl(locationsOf(ref).locations[0]!),
    signUrl,
    createDirectUpload,
    stat,
    read,
    close: async () => {
      agent.destroy();
    },
  };
}
