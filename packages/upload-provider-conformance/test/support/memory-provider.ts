// A small but complete provider used only to test the suite itself: objects live in a Map and are served over real
// HTTP by `serveMemory`. Its knobs break it in the ways the suite must catch.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import {
  ByteCounter,
  defineProvider,
  isAbortError,
  joinKey,
  normaliseKey,
  ProviderError,
  type StoredRef,
  toReadable,
  z,
} from 'upload-provider';

export interface MemoryObject {
  bytes: Buffer;
  mime: string;
}

export interface MemoryBackend {
  objects: Map<string, MemoryObject>;
  secret: string;
  /** Serving side: refuse expired signatures (a broken backend does not). */
  checkExpiry: boolean;
  server: Server;
  baseUrl: string;
}

export async function serveMemory(): Promise<MemoryBackend> {
  const backend = {
    objects: new Map<string, MemoryObject>(),
    secret: 'memory-secret-0123456789abcdef',
    checkExpiry: true,
  } as MemoryBackend;
  backend.server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const key = decodeURIComponent(url.pathname.replace(/^\/(public|private)\//, ''));
    const isPrivate = url.pathname.startsWith('/private/');
    if (isPrivate) {
      const expires = Number(url.searchParams.get('expires'));
      const sig = Buffer.from(url.searchParams.get('sig') ?? '', 'hex');
      const want = sign(backend.secret, key, expires);
      if (sig.length !== want.length || !timingSafeEqual(sig, want))
        return void res.writeHead(403).end('bad signature');
      if (backend.checkExpiry && expires * 1000 < Date.now()) return void res.writeHead(403).end('expired');
    }
    const obj = backend.objects.get(key);
    if (!obj) return void res.writeHead(404).end('not found');
    res.writeHead(200, { 'content-type': obj.mime, 'content-length': obj.bytes.length });
    res.end(obj.bytes);
  });
  backend.server.listen(0, '127.0.0.1');
  await once(backend.server, 'listening');
  backend.baseUrl = `http://127.0.0.1:${(backend.server.address() as AddressInfo).port}`;
  return backend;
}

function sign(secret: string, key: string, expires: number): Buffer {
  return createHmac('sha256', secret).update(`${key}\n${expires}`).digest();
}

const encodeKey = (key: string) => key.split('/').map(encodeURIComponent).join('/');

export const memoryProvider = defineProvider({
  name: 'memory',
  options: z.object({
    backend: z.custom<MemoryBackend>(
      (v) => typeof v === 'object' && v !== null && 'objects' in v,
      'must be a MemoryBackend',
    ),
    private: z.boolean().default(false),
    prefix: z.string().default(''),
    maxBytes: z
      .number()
      .int()
      .positive()
      .default(1024 * 1024 * 1024),
  }),
  create(o) {
    const b = o.backend;
    const name = (key: string) => joinKey(o.prefix, key);
    const fail = (message: string): never => {
      throw new ProviderError('NOT_FOUND', message, { provider: 'memory' });
    };
    const plainUrl = (ref: StoredRef) => `${b.baseUrl}/${o.private ? 'private' : 'public'}/${encodeKey(name(ref.key))}`;
    return {
      name: 'memory',
      capabilities: {
        read: true,
        rangeRead: true,
        stat: true,
        directUpload: false,
        downloadName: false,
        contentType: true,
        unknownSize: true,
      },
      isPrivate: () => o.private,
      url: plainUrl,
      async upload(file, opts = {}) {
        const key = normaliseKey(file.key);
        const counter = new ByteCounter(o.maxBytes, 'memory');
        const chunks: Buffer[] = [];
        try {
          if (opts.signal?.aborted) throw new ProviderError('ABORTED', 'aborted before start');
          const source = toReadable(file.body);
          // pipe() forwards neither errors nor destruction, so both ends are failed together.
          const failBoth = (error: Error) => counter.destroy(error);
          source.on('error', failBoth);
          const onAbort = () =>
            failBoth(new ProviderError('ABORTED', 'the upload was aborted', { provider: 'memory' }));
          opts.signal?.addEventListener('abort', onAbort, { once: true });
          try {
            for await (const chunk of source.pipe(counter)) chunks.push(chunk as Buffer);
          } finally {
            opts.signal?.removeEventListener('abort', onAbort);
          }
        } catch (e) {
          if (e instanceof ProviderError) throw e;
          if (isAbortError(e)) throw new ProviderError('ABORTED', 'aborted', { provider: 'memory', cause: e });
          throw new ProviderError('INTERNAL', 'upload failed', { provider: 'memory', cause: e });
        }
        const bytes = Buffer.concat(chunks);
        if (file.size !== undefined && bytes.length !== file.size) {
          throw new ProviderError('INTEGRITY', `got ${bytes.length} bytes, ${file.size} declared`, {
            provider: 'memory',
          });
        }
        b.objects.set(name(key), { bytes, mime: file.mime });
        return { key, url: plainUrl({ key }), size: bytes.length, mime: file.mime };
      },
      async delete(ref) {
        b.objects.delete(name(ref.key));
      },
      async signUrl(ref, opts = {}) {
        const expiresIn = opts.expiresIn ?? 900;
        if (!(expiresIn > 0))
          throw new ProviderError('INVALID_INPUT', 'expiresIn must be positive', { provider: 'memory' });
        const expires = Math.floor(Date.now() / 1000) + expiresIn;
        const full = name(ref.key);
        const url = `${b.baseUrl}/private/${encodeKey(full)}?expires=${expires}&sig=${sign(b.secret, full, expires).toString('hex')}`;
        return { url, expiresAt: new Date(expires * 1000) };
      },
      async stat(ref) {
        const obj = b.objects.get(name(ref.key));
        return obj ? { key: normaliseKey(ref.key), size: obj.bytes.length, mime: obj.mime } : null;
      },
      async read(ref, range) {
        const obj = b.objects.get(name(ref.key)) ?? fail(`no object ${ref.key}`);
        if (!range) return Readable.from([obj.bytes]);
        const end = range.end ?? obj.bytes.length - 1;
        if (range.start >= obj.bytes.length || end < range.start) {
          throw new ProviderError('INVALID_INPUT', 'range not satisfiable', { provider: 'memory' });
        }
        return Readable.from([obj.bytes.subarray(range.start, end + 1)]);
      },
    };
  },
});
