// A small but real provider for the guard's tests: objects live in a Map, every call the provider receives is
// recorded, so a test can say what reached it (or that nothing did).
import { Readable } from 'node:stream';
import {
  type Capabilities,
  defineProvider,
  isProviderError,
  type ProviderError,
  type ProviderFile,
  type ProviderLimits,
  type StoredRef,
  type UploadOptions,
  z,
} from '../../src/index.js';

const NAMES = ['read', 'rangeRead', 'stat', 'directUpload', 'downloadName', 'contentType', 'unknownSize'] as const;
/** Every capability on. */
export const ALL = Object.fromEntries(NAMES.map((name) => [name, true])) as unknown as Capabilities;

export interface Call {
  method: string;
  args: unknown[];
}

export interface Tiny {
  objects: Map<string, Buffer>;
  calls: Call[];
  closes: number;
}

/** A tiny provider factory over `store`, with the given capabilities and limits. */
export function tinyProvider(
  store: Tiny,
  definition: { capabilities?: Capabilities; limits?: ProviderLimits; cleanup?: boolean } = {},
) {
  const capabilities = definition.capabilities ?? ALL;
  return defineProvider({
    name: 'tiny',
    options: z.object({ defaultExpiresIn: z.number().default(900) }),
    capabilities,
    limits: definition.limits ?? {},
    create(o) {
      const seen = (method: string, ...args: unknown[]) => store.calls.push({ method, args });
      const methods = {
        async upload(file: ProviderFile, _opts?: UploadOptions) {
          seen('upload', file);
          const chunks: Buffer[] = [];
          const body = file.body instanceof Uint8Array ? Readable.from([Buffer.from(file.body)]) : file.body;
          for await (const chunk of body) chunks.push(chunk as Buffer);
          const bytes = Buffer.concat(chunks);
          store.objects.set(file.key, bytes);
          return { key: file.key, url: `tiny://${file.key}`, size: bytes.length, mime: file.mime };
        },
        async delete(ref: StoredRef) {
          seen('delete', ref);
          store.objects.delete(ref.key);
        },
        isPrivate: () => false,
        url: (ref: StoredRef) => {
          seen('url', ref);
          return `tiny://${ref.key}`;
        },
        async signUrl(ref: StoredRef, opts: { expiresIn?: number } = {}) {
          seen('signUrl', ref, opts);
          const seconds = opts.expiresIn ?? o.defaultExpiresIn;
          return { url: `tiny://${ref.key}?signed`, expiresAt: new Date(Date.now() + seconds * 1000) };
        },
        async stat(ref: StoredRef) {
          seen('stat', ref);
          const bytes = store.objects.get(ref.key);
          return bytes ? { key: ref.key, size: bytes.length } : null;
        },
        async read(ref: StoredRef, range?: { start: number; end?: number }) {
          seen('read', ref, range);
          return Readable.from([store.objects.get(ref.key) ?? Buffer.alloc(0)]);
        },
        async createDirectUpload(req: { key: string; mime: string; maxSize: number }) {
          seen('createDirectUpload', req);
          return {
            url: 'tiny://post',
            method: 'POST' as const,
            fields: {},
            fileField: 'file',
            key: req.key,
            expiresAt: new Date(),
          };
        },
        async close() {
          store.closes += 1;
        },
        async cleanup(opts: { olderThan: Date }) {
          seen('cleanup', opts);
          return { removed: 0 };
        },
      };
      const made: Partial<typeof methods> = { ...methods };
      if (!capabilities.read) delete made.read;
      if (!capabilities.stat) delete made.stat;
      if (!capabilities.directUpload) delete made.createDirectUpload;
      if (!definition.cleanup) delete made.cleanup;
      return made as typeof methods;
    },
  });
}

export function newStore(): Tiny {
  return { objects: new Map(), calls: [], closes: 0 };
}

/** The ProviderError a promise (or a function) rejects with; fails the test when it resolves or throws another. */
export async function rejection(work: Promise<unknown> | (() => unknown)): Promise<ProviderError> {
  try {
    await (typeof work === 'function' ? work() : work);
  } catch (error) {
    if (isProviderError(error)) return error;
    throw new Error(`expected a ProviderError, got ${String(error)}`, { cause: error });
  }
  throw new Error('expected a rejection, but it resolved');
}
