import { Readable } from 'node:stream';
import {
  type Capabilities,
  createDebug,
  type DirectUpload,
  type DirectUploadRequest,
  defineProvider,
  knownSize,
  normaliseKey,
  type ObjectInfo,
  ProviderError,
  type ResumableSessions,
  type SignedUrl,
  type SignOptions,
  type StoredFile,
  type StoredRef,
  toProviderError,
  toReadable,
  type UploadOptions,
  type UploadProvider,
} from 'upload-provider';
import { type LocalInternals, registerInternals } from './internals.js';
import { localOptionsSchema, MAX_EXPIRES_IN, type ResolvedLocalOptions } from './options.js';
import { localSessions } from './resumable.js';
import { encodePolicy, signGrant, signPolicy, type UploadPolicy } from './signing.js';
import { DiskStore, etagOf } from './store.js';
import { encodeKey, Locations } from './urls.js';

export const PROVIDER_NAME = 'local';

/** The local provider: every optional part of the contract is present. */
export interface LocalProvider extends UploadProvider {
  createDirectUpload(req: DirectUploadRequest): Promise<DirectUpload>;
  stat(file: StoredRef): Promise<ObjectInfo | null>;
  read(file: StoredRef, range?: { start: number; end?: number }): Promise<Readable>;
  close(): Promise<void>;
  readonly resumable: ResumableSessions;
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
  resumable: true,
});

/** A type such as `image/png` or a family such as `image/*`. */
const MIME_PATTERN = /^[a-z0-9!#$&^_.+-]+\/(\*|[a-z0-9!#$&^_.+-]+)$/i;

function invalid(message: string): ProviderError {
  return new ProviderError('INVALID_INPUT', message, { provider: PROVIDER_NAME });
}

/** A lifetime in seconds: positive, at most 7 days; `undefined` takes the configured default. */
function lifetime(expiresIn: number | undefined, fallback: number): number {
  const value = expiresIn ?? fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw invalid(`expiresIn must be a positive number of seconds, got ${String(expiresIn)}`);
  }
  if (value > MAX_EXPIRES_IN) throw invalid(`expiresIn must be at most ${MAX_EXPIRES_IN} seconds (7 days)`);
  return value;
}

function createLocalProvider(options: ResolvedLocalOptions): LocalProvider {
  const debug = createDebug(PROVIDER_NAME);
  const store = new DiskStore(options.root, options.prefix, options.fsync, PROVIDER_NAME);
  const locations = new Locations(options.baseUrl, options.directUploadPath ?? options.baseUrl);
  const secret = options.secret;

  const requireSecret = (what: string): string => {
    if (secret === undefined) {
      throw new ProviderError('UNSUPPORTED', `${what} needs the "secret" option (at least 32 characters)`, {
        provider: PROVIDER_NAME,
      });
    }
    return secret;
  };

  const keyOf = (ref: StoredRef): string => {
    if (!ref || typeof ref.key !== 'string') throw invalid('a file reference needs a string "key"');
    try {
      return normaliseKey(ref.key);
    } catch (error) {
      throw toProviderError(error, 'INVALID_INPUT', 'invalid key', { provider: PROVIDER_NAME });
    }
  };

  const provider: LocalProvider = {
    name: PROVIDER_NAME,
    capabilities: CAPABILITIES,
    resumable: localSessions(store, PROVIDER_NAME, (key) => locations.fileUrl(key)),

    async upload(file, opts: UploadOptions = {}): Promise<StoredFile> {
      const key = keyOf(file);
      const objectName = store.objectName(key);
      if (opts.signal?.aborted) {
        throw new ProviderError('ABORTED', 'the upload was aborted before it started', { provider: PROVIDER_NAME });
      }
      if (typeof file.mime !== 'string' || file.mime === '') throw invalid('a file needs a "mime" content type');
      if (file.size !== undefined && (!Number.isSafeInteger(file.size) || file.size < 0)) {
        throw invalid(`size must be a whole number of bytes, got ${String(file.size)}`);
      }
      const declaredSize = knownSize(file.body, file.size);
      if (file.body instanceof Uint8Array && file.size !== undefined && file.size !== file.body.byteLength) {
        throw new ProviderError(
          'INTEGRITY',
          `the body has ${file.body.byteLength} bytes but ${file.size} were declared`,
          {
            provider: PROVIDER_NAME,
          },
        );
      }
      debug('upload', { key: objectName, size: declaredSize, mime: file.mime });
      const stats = await store.write(objectName, toReadable(file.body), {
        declaredSize,
        signal: opts.signal,
        meta: {
          key: objectName,
          mime: file.mime,
          name: file.name,
          disposition: file.disposition,
          cacheControl: file.cacheControl,
          metadata: file.metadata,
        },
      });
      return {
        key,
        url: locations.fileUrl(key),
        size: stats.size,
        mime: file.mime,
        etag: etagOf(stats),
        providerMetadata: null,
      };
    },

    async delete(ref) {
      const objectName = store.objectName(keyOf(ref));
      debug('delete', { key: objectName });
      await store.remove(objectName);
    },

    isPrivate: () => options.private,

    url: (ref) => locations.fileUrl(keyOf(ref)),

    async signUrl(ref, opts: SignOptions = {}): Promise<SignedUrl> {
      const key = keyOf(ref);
      const objectName = store.objectName(key);
      const seconds = lifetime(opts.expiresIn, options.urlExpiresIn);
      const expires = Date.now() + Math.round(seconds * 1000);
      const downloadName = opts.downloadName || undefined;
      const disposition = downloadName ? (opts.disposition ?? 'attachment') : opts.disposition;
      const query = new URLSearchParams();
      if (disposition) query.set('disposition', disposition);
      if (downloadName) query.set('name', downloadName);
      if (secret !== undefined) {
        query.set('expires', String(expires));
        query.set('signature', signGrant(secret, { objectName, expires, disposition, downloadName }));
      }
      // Without a secret (public mode only) the file is public anyway: the URL carries the download name unsigned.
      const search = query.toString();
      return { url: `${locations.fileUrl(key)}${search ? `?${search}` : ''}`, expiresAt: new Date(expires) };
    },

    async createDirectUpload(req: DirectUploadRequest): Promise<DirectUpload> {
      const signingKey = requireSecret('createDirectUpload');
      const key = keyOf(req);
      store.objectName(key);
      if (typeof req.mime !== 'string' || !MIME_PATTERN.test(req.mime)) {
        throw invalid(`mime must be a type such as "image/png" or a family such as "image/*", got ${String(req.mime)}`);
      }
      const minSize = req.minSize ?? 0;
      if (!Number.isSafeInteger(req.maxSize) || req.maxSize < 0) {
        throw invalid(`maxSize must be a whole number of bytes, got ${String(req.maxSize)}`);
      }
      if (!Number.isSafeInteger(minSize) || minSize < 0 || minSize > req.maxSize) {
        throw invalid(`minSize must be a whole number of bytes between 0 and maxSize, got ${String(req.minSize)}`);
      }
      if (options.maxDirectUploadBytes !== undefined && req.maxSize > options.maxDirectUploadBytes) {
        throw new ProviderError(
          'TOO_LARGE',
          `maxSize ${req.maxSize} exceeds the provider's maxDirectUploadBytes (${options.maxDirectUploadBytes})`,
          { provider: PROVIDER_NAME },
        );
      }
      const seconds = lifetime(req.expiresIn, options.urlExpiresIn);
      const expires = Date.now() + Math.round(seconds * 1000);
      const policy: UploadPolicy = {
        v: 1,
        key,
        expires,
        minSize,
        maxSize: req.maxSize,
        mime: req.mime.toLowerCase(),
        ...(req.name ? { name: req.name } : {}),
      };
      const encoded = encodePolicy(policy);
      const fields: Record<string, string> = { key };
      // An exact type travels as a field (as on S3); for a family the file part's own type is checked.
      if (!policy.mime.endsWith('/*')) fields['Content-Type'] = policy.mime;
      fields.policy = encoded;
      fields.signature = signPolicy(signingKey, encoded);
      debug('createDirectUpload', { key, mime: policy.mime, maxSize: policy.maxSize, expires });
      return {
        url: locations.directUploadUrl,
        method: 'POST',
        fields,
        fileField: 'file',
        key,
        expiresAt: new Date(expires),
      };
    },

    async stat(ref): Promise<ObjectInfo | null> {
      const key = keyOf(ref);
      const objectName = store.objectName(key);
      const stats = await store.stat(objectName);
      if (!stats) return null;
      const meta = await store.readMeta(objectName);
      return {
        key,
        size: stats.size,
        mime: meta?.mime ?? 'application/octet-stream',
        etag: etagOf(stats),
        lastModified: stats.mtime,
      };
    },

    async read(ref, range) {
      const objectName = store.objectName(keyOf(ref));
      if (range !== undefined) {
        const { start, end } = range;
        if (!Number.isSafeInteger(start) || start < 0) throw invalid(`a range start must be a whole number ≥ 0`);
        if (end !== undefined && (!Number.isSafeInteger(end) || end < start)) {
          throw invalid(`a range end must be a whole number ≥ its start (${start}), got ${String(end)}`);
        }
      }
      const file = await store.open(objectName);
      if (!file)
        throw new ProviderError('NOT_FOUND', `no file at key ${JSON.stringify(ref.key)}`, { provider: PROVIDER_NAME });
      const size = file.stats.size;
      if (range !== undefined && range.start >= size && !(size === 0 && range.start === 0 && range.end === undefined)) {
        await file.handle.close();
        throw invalid(`the range starts at byte ${range.start} but the file has ${size} bytes`);
      }
      const start = range?.start ?? 0;
      // As in HTTP, an end past the last byte reads to the end.
      const end = Math.min(range?.end ?? size - 1, size - 1);
      if (end < start) {
        // An empty file: a stream that ends at once (createReadStream cannot express an empty range).
        await file.handle.close();
        return Readable.from([]);
      }
      return file.handle.createReadStream({ start, end, autoClose: true });
    },

    async close() {
      // Nothing to release: every file handle is closed when its stream ends.
    },
  };

  const internals: LocalInternals = { options, store, locations, secret, debug };
  registerInternals(provider, internals);
  return provider;
}

/**
 * Stores files under a directory on the local disk and serves them through {@link createLocalHandler}.
 *
 * ```ts
 * const provider = localProvider({ root: './.data/uploads', baseUrl: 'http://localhost:1337/uploads' });
 * ```
 */
export const localProvider = defineProvider({
  name: PROVIDER_NAME,
  options: localOptionsSchema,
  create: createLocalProvider,
});

export { encodeKey };
