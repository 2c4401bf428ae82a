import { Readable } from 'node:stream';
import {
  type Capabilities,
  createDebug,
  type DirectUpload,
  type DirectUploadRequest,
  defineProvider,
  type ObjectInfo,
  ProviderError,
  type ProviderLimits,
  type ResumableSessions,
  type SignedUrl,
  type SignOptions,
  type StoredFile,
  type StoredRef,
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
  /**
   * Removes the temporary files of uploads that a dead process left in the root, once older than `olderThan`;
   * never objects, never files the provider did not name. Resolves with how many files went.
   */
  cleanup(opts: { olderThan: Date }): Promise<{ removed: number }>;
}

/** What `create` returns: the guard adds `name` and `capabilities`. */
type LocalMethods = Omit<LocalProvider, 'name' | 'capabilities'>;

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

/** What the core's guard enforces before any method runs: lifetimes up to 7 days, the direct-upload size cap. */
function limitsOf(options: ResolvedLocalOptions): ProviderLimits {
  return { maxExpiresIn: MAX_EXPIRES_IN, maxDirectUploadSize: options.maxDirectUploadBytes };
}

/**
 * The provider's methods. The core's guard (`defineProvider`) stands in front of them: keys arrive normalised, and
 * types, sizes, metadata, ranges, lifetimes, direct-upload requests and `cleanup`'s date arrive checked; a stream
 * body arrives held to its declared size. What is left here is the disk.
 */
function createLocalProvider(options: ResolvedLocalOptions): LocalMethods {
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

  const provider: LocalMethods = {
    resumable: localSessions(store, PROVIDER_NAME, (key) => locations.fileUrl(key)),
    async upload(file, opts: UploadOptions = {}): Promise<StoredFile> {
      const key = file.key;
      const objectName = store.objectName(key);
      debug('upload', { key: objectName, size: file.size, mime: file.mime });
      const stats = await store.write(objectName, toReadable(file.body), {
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
      const objectName = store.objectName(ref.key);
      debug('delete', { key: objectName });
      await store.remove(objectName);
    },

    isPrivate: () => options.private,

    url: (ref) => locations.fileUrl(ref.key),

    async signUrl(ref, opts: SignOptions = {}): Promise<SignedUrl> {
      const key = ref.key;
      const objectName = store.objectName(key);
      const seconds = opts.expiresIn ?? options.urlExpiresIn;
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
      const key = req.key;
      store.objectName(key); // the provider's own rules: its reserved folder, 255-byte file names
      const minSize = req.minSize ?? 0;
      const seconds = req.expiresIn ?? options.urlExpiresIn;
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
      // An exact type travels as a field (as on S3); for a family, or any type, the file part's own type is checked.
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
      const key = ref.key;
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
      const objectName = store.objectName(ref.key);
      const file = await store.open(objectName);
      if (!file)
        throw new ProviderError('NOT_FOUND', `no file at key ${JSON.stringify(ref.key)}`, { provider: PROVIDER_NAME });
      const size = file.stats.size;
      if (range !== undefined && range.start >= size && !(size === 0 && range.start === 0 && range.end === undefined)) {
        await file.handle.close();
        throw new ProviderError(
          'INVALID_INPUT',
          `the range starts at byte ${range.start} but the file has ${size} bytes`,
          {
            provider: PROVIDER_NAME,
          },
        );
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

    async cleanup({ olderThan }) {
      const removed = await store.cleanup(olderThan);
      debug('cleanup', { olderThan: olderThan.toISOString(), removed });
      return { removed };
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
  capabilities: CAPABILITIES,
  limits: limitsOf,
  create: createLocalProvider,
});

export { encodeKey };
