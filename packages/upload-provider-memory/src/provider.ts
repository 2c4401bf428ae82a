import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  assertDeclaredSize,
  ByteCounter,
  type ByteRange,
  type Capabilities,
  type DirectUpload,
  type DirectUploadRequest,
  defineProvider,
  httpUrlOption,
  integerOption,
  invalidInput,
  isAbortError,
  joinKey,
  MIME_FAMILY,
  MIME_TYPE,
  normaliseKey,
  normalisePrefix,
  type ObjectInfo,
  ProviderError,
  type SignedUrl,
  type SignOptions,
  type StoredFile,
  type StoredRef,
  toReadable,
  type UploadOptions,
  type UploadProvider,
  z,
} from 'upload-provider';
import { type MemoryAssertions, memoryAssertions } from './assertions.js';
import { keyPath, signGet, signPost } from './signing.js';
import { createMemoryStore, MemoryStore, memoryObject } from './store.js';

export const PROVIDER_NAME = 'memory';
const MiB = 1024 * 1024;
const WEEK = 7 * 24 * 3600;

/** Everything the contract offers: the memory provider is the reference a test can lean on. */
export const CAPABILITIES: Readonly<Capabilities> = Object.freeze({
  read: true,
  rangeRead: true,
  stat: true,
  directUpload: true,
  downloadName: true,
  contentType: true,
  unknownSize: true,
  emptyFiles: true,
});

export interface MemoryProvider extends UploadProvider, MemoryAssertions {
  /** The store the objects live in: hand it to `createMemoryHandler` to serve them. */
  readonly store: MemoryStore;
  read(ref: StoredRef, range?: ByteRange): Promise<Readable>;
  stat(ref: StoredRef): Promise<ObjectInfo | null>;
  createDirectUpload(req: DirectUploadRequest): Promise<DirectUpload>;
}

const options = z.object({
  store: z
    .custom<MemoryStore>((v) => v instanceof MemoryStore, 'store must be a MemoryStore made by createMemoryStore()')
    .optional(),
  baseUrl: httpUrlOption('baseUrl').default('http://memory.localhost'),
  private: z.boolean({ error: 'private must be true or false' }).default(false),
  prefix: z
    .string({ error: 'prefix must be a string' })
    .default('')
    .refine((p) => {
      try {
        normalisePrefix(p);
        return true;
      } catch {
        return false;
      }
    }, 'prefix must be a relative path without "." or ".." segments'),
  urlExpiresIn: integerOption('urlExpiresIn', 1, WEEK, 'seconds').default(900),
  maxObjectSize: integerOption('maxObjectSize', 0, 1024 * MiB, 'bytes').default(64 * MiB),
});

export type MemoryProviderOptions = z.input<typeof options>;

/** An in-memory provider: objects live in a `MemoryStore`, URLs point at `baseUrl` where `createMemoryHandler` serves. */
export const memoryProvider = defineProvider({
  name: PROVIDER_NAME,
  options,
  create(o): MemoryProvider {
    const store = o.store ?? createMemoryStore();
    const base = o.baseUrl.replace(/\/+$/, '');
    const prefix = normalisePrefix(o.prefix);
    const fullKey = (key: string) => joinKey(prefix, key);
    const invalid = (message: string) => invalidInput(PROVIDER_NAME, message);
    const url = (ref: StoredRef) => `${base}/${keyPath(fullKey(ref.key))}`;

    const lifetime = (expiresIn: number | undefined): number => {
      const seconds = expiresIn ?? o.urlExpiresIn;
      if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds <= 0 || seconds > WEEK)
        throw invalid(`expiresIn must be a number of seconds above 0 and at most ${WEEK}, got ${String(seconds)}`);
      return Math.floor(Date.now() / 1000) + Math.ceil(seconds);
    };

    const existing = (ref: StoredRef) => {
      const key = fullKey(ref.key);
      const object = store.get(key);
      if (!object)
        throw new ProviderError('NOT_FOUND', `no object ${JSON.stringify(ref.key)}`, { provider: PROVIDER_NAME });
      return object;
    };

    async function collect(body: Readable, limit: number, signal?: AbortSignal): Promise<Buffer> {
      const chunks: Buffer[] = [];
      const counter = new ByteCounter(limit, PROVIDER_NAME);
      try {
        await pipeline(
          body,
          counter,
          async (source: AsyncIterable<Buffer>) => {
            for await (const chunk of source) chunks.push(chunk);
          },
          signal ? { signal } : {},
        );
      } catch (error) {
        if (error instanceof ProviderError) throw error;
        if (signal?.aborted || isAbortError(error))
          throw new ProviderError('ABORTED', 'the upload was aborted', { provider: PROVIDER_NAME, cause: error });
        throw new ProviderError('INTERNAL', 'reading the upload body failed', {
          provider: PROVIDER_NAME,
          cause: error,
        });
      }
      return Buffer.concat(chunks);
    }

    const provider: MemoryProvider = {
      name: PROVIDER_NAME,
      capabilities: CAPABILITIES,
      store,
      isPrivate: () => o.private,
      url,

      async upload(file, opts: UploadOptions = {}): Promise<StoredFile> {
        const key = normaliseKey(file.key);
        if (typeof file.mime !== 'string' || !MIME_TYPE.test(file.mime))
          throw invalid(`mime must be a content type like "image/png", got ${JSON.stringify(file.mime)}`);
        if (file.size !== undefined && (!Number.isSafeInteger(file.size) || file.size < 0))
          throw invalid(`size must be a whole number of bytes, got ${String(file.size)}`);
        if (opts.signal?.aborted)
          throw new ProviderError('ABORTED', 'the upload was aborted before it started', { provider: PROVIDER_NAME });
        if ((file.size ?? 0) > o.maxObjectSize)
          throw new ProviderError('TOO_LARGE', `the file is larger than maxObjectSize (${o.maxObjectSize} bytes)`, {
            provider: PROVIDER_NAME,
          });
        const bytes = await collect(toReadable(file.body), o.maxObjectSize, opts.signal);
        assertDeclaredSize(bytes.length, file.size, PROVIDER_NAME);
        // Stored only once the whole body arrived: a failed upload leaves nothing.
        store.put(fullKey(key), memoryObject(bytes, file.mime, o.private));
        return { key, url: url({ key }), size: bytes.length, mime: file.mime };
      },

      async delete(ref) {
        store.remove(fullKey(ref.key));
      },

      async signUrl(ref, opts: SignOptions = {}): Promise<SignedUrl> {
        const key = fullKey(ref.key);
        const expires = lifetime(opts.expiresIn);
        const grant = opts.downloadName
          ? { key, expires, disposition: opts.disposition ?? 'attachment', download: opts.downloadName }
          : { key, expires };
        const query = new URLSearchParams();
        query.set('expires', String(expires));
        if (grant.disposition) query.set('disposition', grant.disposition);
        if (grant.download) query.set('download', grant.download);
        query.set('signature', signGet(store.secret, grant));
        return { url: `${base}/${keyPath(key)}?${query}`, expiresAt: new Date(expires * 1000) };
      },

      async stat(ref) {
        const key = normaliseKey(ref.key);
        const object = store.get(fullKey(key));
        if (!object) return null;
        return {
          key,
          size: object.bytes.length,
          mime: object.mime,
          etag: object.etag,
          lastModified: object.lastModified,
        };
      },

      async read(ref, range) {
        const object = existing(ref);
        if (!range) return Readable.from([object.bytes]);
        const size = object.bytes.length;
        const end = range.end ?? size - 1;
        if (!Number.isSafeInteger(range.start) || range.start < 0 || !Number.isSafeInteger(end) || end < range.start)
          throw invalid(`a range must have whole numbers with 0 <= start <= end, got ${JSON.stringify(range)}`);
        if (range.start >= size) throw invalid(`range start ${range.start} is past the end (${size} bytes)`);
        return Readable.from([object.bytes.subarray(range.start, Math.min(end, size - 1) + 1)]);
      },

      async createDirectUpload(req) {
        const key = normaliseKey(req.key);
        if (typeof req.mime !== 'string' || !(MIME_TYPE.test(req.mime) || MIME_FAMILY.test(req.mime)))
          throw invalid(`mime must be a content type or a family like "image/*", got ${JSON.stringify(req.mime)}`);
        const minSize = req.minSize ?? 0;
        if (!Number.isSafeInteger(req.maxSize) || req.maxSize < 0 || req.maxSize > o.maxObjectSize)
          throw invalid(`maxSize must be a whole number of bytes from 0 to ${o.maxObjectSize}, got ${req.maxSize}`);
        if (!Number.isSafeInteger(minSize) || minSize < 0 || minSize > req.maxSize)
          throw invalid(`minSize must be a whole number of bytes from 0 to maxSize, got ${minSize}`);
        const grant = {
          key: fullKey(key),
          mime: req.mime,
          minSize,
          maxSize: req.maxSize,
          private: o.private,
          expires: lifetime(req.expiresIn),
        };
        return {
          url: `${base}/`,
          method: 'POST',
          fields: {
            key: grant.key,
            'Content-Type': grant.mime,
            'min-size': String(grant.minSize),
            'max-size': String(grant.maxSize),
            visibility: grant.private ? 'private' : 'public',
            expires: String(grant.expires),
            signature: signPost(store.secret, grant),
          },
          fileField: 'file',
          key,
          expiresAt: new Date(grant.expires * 1000),
        };
      },

      ...memoryAssertions(store, fullKey, prefix),
    };
    return provider;
  },
});
