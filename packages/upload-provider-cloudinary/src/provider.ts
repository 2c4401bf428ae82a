import type { Readable } from 'node:stream';
import {
  ByteCounter,
  type ByteRange,
  type Capabilities,
  createDebug,
  type DirectUpload,
  type DirectUploadRequest,
  defineProvider,
  joinKey,
  knownSize,
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
import { type CallCredentials, createDelivery } from './delivery.js';
import { signDirectUpload } from './direct-upload.js';
import { codeFor, sdkFailure, toCloudinaryError } from './errors.js';
import { chooseResourceType, mimeForFormat, SNIFF_BYTES } from './formats.js';
import { MAX_URL_EXPIRES_IN, optionsSchema, type ResolvedOptions, UPLOAD_SIGNATURE_LIFETIME } from './options.js';
import {
  type AssetLocation,
  candidateLocations,
  locationFromAnswer,
  locationFromMetadata,
  publicIdFor,
} from './public-ids.js';
import { readAsset } from './read.js';
import { type CloudinarySdk, defaultSdk } from './sdk.js';
import { apiAgent, peek, sendChunked, sendSingle } from './upload.js';

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
  // Cloudinary answers "Empty file" to a zero-byte upload; the core refuses one with INVALID_INPUT before any request.
  emptyFiles: false,
});

export interface CloudinaryProvider extends UploadProvider {
  readonly capabilities: Capabilities;
  createDirectUpload(req: DirectUploadRequest): Promise<DirectUpload>;
  stat(ref: StoredRef): Promise<ObjectInfo | null>;
  read(ref: StoredRef, range?: ByteRange): Promise<Readable>;
}

/** The methods of a Cloudinary provider; the core adds `name`, `capabilities` and its guard. */
type CloudinaryMethods = Omit<CloudinaryProvider, 'name' | 'capabilities'>;

export function createCloudinaryProvider(o: ResolvedOptions): CloudinaryMethods {
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
  const credentials: CallCredentials = {
    cloud_name: cloudName,
    api_key: apiKey,
    api_secret: apiSecret,
    signature_algorithm: o.signatureAlgorithm,
    upload_prefix: apiUrl,
  };
  const deliveryType = o.delivery;
  const isPrivate = deliveryType !== 'upload';
  const delivery = createDelivery(sdk, o, credentials);

  // Keys, types, sizes, ranges and lifetimes arrive checked by the core (see `limits` below).
  const locationsOf = (ref: StoredRef): AssetLocation[] => {
    const recorded = locationFromMetadata(ref.providerMetadata);
    return recorded ? [recorded] : candidateLocations(joinKey(o.folder, ref.key), deliveryType, PROVIDER_NAME);
  };

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
    const { key } = file;
    const { signal } = opts;
    const declared = knownSize(file.body, file.size);
    const source = toReadable(file.body);
    const aborted = (cause?: unknown) =>
      new ProviderError('ABORTED', 'the upload was aborted', { provider: PROVIDER_NAME, cause });
    let head: Uint8Array;
    try {
      head =
        file.body instanceof Uint8Array ? file.body.subarray(0, SNIFF_BYTES) : await peek(source, SNIFF_BYTES, signal);
    } catch (e) {
      source.destroy();
      if (signal?.aborted) throw aborted(e);
      throw toCloudinaryError(e, PROVIDER_NAME, `reading the body of ${key}`);
    }
    const resourceType = chooseResourceType(file.mime, head);
    const wanted: AssetLocation = {
      public_id: publicIdFor(joinKey(o.folder, key), resourceType, PROVIDER_NAME),
      resource_type: resourceType,
      type: deliveryType,
    };

    // Context is sent as `k=v|k=v`: the SDK escapes `=` and `|` in values, but a key holding one cannot be sent.
    const context: Record<string, string> = { ...o.context };
    for (const [k, v] of Object.entries(file.metadata ?? {})) {
      if (!/[=|]/.test(k)) context[k] = v;
      else debug('metadata key skipped: Cloudinary context keys cannot hold "=" or "|"', { key: k });
    }
    const params: Record<string, unknown> = {
      ...credentials,
      resource_type: resourceType,
      public_id: wanted.public_id,
      type: deliveryType,
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
    // The core's guard holds the body to its declared size; this counts what was sent, to compare with what was stored.
    const counter = new ByteCounter(Number.POSITIVE_INFINITY, PROVIDER_NAME);
    const send = { sdk, params, agent: uploading, signal: controller.signal };
    debug('upload', { ...wanted, size: declared ?? 'unknown' });

    let answer: Record<string, unknown>;
    try {
      answer =
        declared !== undefined && declared <= o.chunkSize
          ? await sendSingle(source, counter, send)
          : (await sendChunked(source, counter, o.chunkSize, send)).answer;
    } catch (e) {
      source.destroy();
      if (signal?.aborted) throw aborted(e);
      throw toCloudinaryError(e, PROVIDER_NAME, `uploading ${key}`);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      uploading.destroy();
    }

    const stored = locationFromAnswer(answer, wanted);
    if (signal?.aborted) {
      await discard(stored);
      throw aborted();
    }
    if (typeof answer.bytes === 'number' && answer.bytes !== counter.bytes) {
      await discard(stored);
      throw new ProviderError('INTEGRITY', `Cloudinary stored ${answer.bytes} bytes but ${counter.bytes} were sent`, {
        provider: PROVIDER_NAME,
        details: { stored: answer.bytes, sent: counter.bytes },
      });
    }
    const result: StoredFile = {
      key,
      url: delivery.url(stored),
      size: counter.bytes,
      mime: file.mime,
      providerMetadata: { ...stored },
    };
    if (typeof answer.etag === 'string') result.etag = answer.etag;
    return result;
  }

  async function remove(ref: StoredRef): Promise<void> {
    for (const loc of locationsOf(ref)) await destroyAt(loc);
  }

  async function signUrl(ref: StoredRef, opts: SignOptions = {}): Promise<SignedUrl> {
    const expiresAt = Math.floor(Date.now() / 1000) + delivery.lifetime(opts.expiresIn, MAX_URL_EXPIRES_IN);
    const attachment =
      opts.disposition === 'attachment' || (opts.downloadName !== undefined && opts.disposition !== 'inline');
    const url = delivery.downloadUrl(locationsOf(ref)[0]!, expiresAt, attachment);
    return { url, expiresAt: new Date(expiresAt * 1000) };
  }

  async function stat(ref: StoredRef): Promise<ObjectInfo | null> {
    for (const loc of locationsOf(ref)) {
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
      const info: ObjectInfo = { key: ref.key, size: r.bytes };
      const mime = mimeForFormat(typeof r.format === 'string' ? r.format : undefined);
      if (mime && loc.resource_type !== 'raw') info.mime = mime;
      if (typeof r.etag === 'string') info.etag = r.etag;
      if (typeof r.created_at === 'string') info.lastModified = new Date(r.created_at);
      return info;
    }
    return null;
  }

  const signing = { sdk, credentials, delivery, o, debug };
  const reading = { provider: PROVIDER_NAME, delivery, isPrivate, urlExpiresIn: o.urlExpiresIn };
  return {
    upload,
    delete: remove,
    isPrivate: () => isPrivate,
    url: (ref) => delivery.url(locationsOf(ref)[0]!),
    signUrl,
    createDirectUpload: async (req) => signDirectUpload(signing, req),
    stat,
    read: (ref, range) => readAsset(reading, ref.key, locationsOf(ref), range),
    close: async () => {
      agent.destroy();
    },
  };
}

/**
 * Cloudinary as an upload provider: images, videos and raw files, public or private (`authenticated`/`private`)
 * delivery, expiring signed URLs through the download API, and signed browser uploads.
 */
export const cloudinaryProvider = defineProvider({
  name: PROVIDER_NAME,
  options: optionsSchema,
  capabilities: CAPABILITIES,
  limits: { maxExpiresIn: MAX_URL_EXPIRES_IN, maxDirectUploadExpiresIn: UPLOAD_SIGNATURE_LIFETIME },
  create: createCloudinaryProvider,
});
