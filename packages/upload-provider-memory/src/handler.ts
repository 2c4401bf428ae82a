import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable, Transform } from 'node:stream';
import { contentDisposition, MIME_FAMILY } from 'upload-provider';
import { type PostGrant, signatureMatches, signGet, signPost } from './signing.js';
import { createMemoryStore, type MemoryStore, memoryObject } from './store.js';

export interface MemoryHandlerOptions {
  /** The path the handler is mounted at (the path of the providers' `baseUrl`). Default `/`. */
  basePath?: string;
  /** The largest direct-upload request body accepted, form fields included. Default 64 MiB + 64 KiB. */
  maxRequestBytes?: number;
}

/** A node:http request handler; resolves `false` for requests outside its `basePath` so you can answer them. */
export type MemoryHandler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

/**
 * Serves a memory store over HTTP as a storage would: GET/HEAD of objects (private ones only with a valid, unexpired
 * signature) and the direct-upload form POSTs, checked against their signed grant before anything is stored.
 */
export function createMemoryHandler(store: MemoryStore, options: MemoryHandlerOptions = {}): MemoryHandler {
  const basePath = `/${(options.basePath ?? '/').replace(/^\/+|\/+$/g, '')}`.replace(/^\/$/, '');
  const maxRequestBytes = options.maxRequestBytes ?? 64 * 1024 * 1024 + 64 * 1024;

  return async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://memory.localhost');
    if (url.pathname !== basePath && !url.pathname.startsWith(`${basePath}/`)) return false;
    const path = url.pathname.slice(basePath.length).replace(/^\//, '');
    try {
      if (req.method === 'POST' && path === '') await receive(store, req, res, maxRequestBytes);
      else if ((req.method === 'GET' || req.method === 'HEAD') && path !== '') serve(store, path, url, req, res);
      else answer(res, 405, 'method not allowed here');
    } catch {
      if (!res.headersSent) answer(res, 500, 'the memory handler failed');
      else res.destroy();
    }
    return true;
  };
}

function answer(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' });
  res.end(message);
}

function serve(store: MemoryStore, path: string, url: URL, req: IncomingMessage, res: ServerResponse): void {
  let key: string;
  try {
    key = path.split('/').map(decodeURIComponent).join('/');
  } catch {
    answer(res, 400, 'the path is not a valid percent-encoded key');
    return;
  }
  const q = url.searchParams;
  const signature = q.get('signature');
  if (signature !== null) {
    const grant = {
      key,
      expires: Number(q.get('expires')),
      disposition: q.get('disposition') ?? undefined,
      download: q.get('download') ?? undefined,
    };
    if (!signatureMatches(signature, signGet(store.secret, grant))) {
      answer(res, 403, 'bad signature');
      return;
    }
    if (!(grant.expires * 1000 >= Date.now())) {
      answer(res, 403, 'the signed URL has expired');
      return;
    }
  }
  const object = store.get(key);
  if (!object) {
    answer(res, 404, 'no such object');
    return;
  }
  if (object.private && signature === null) {
    answer(res, 403, 'a private object needs a signed URL');
    return;
  }
  const headers: Record<string, string | number> = {
    'content-type': object.mime,
    'content-length': object.bytes.length,
    etag: `"${object.etag}"`,
    'last-modified': object.lastModified.toUTCString(),
  };
  const download = q.get('download');
  if (signature !== null && download !== null)
    headers['content-disposition'] = contentDisposition(
      q.get('disposition') === 'inline' ? 'inline' : 'attachment',
      download,
    );
  res.writeHead(200, headers);
  res.end(req.method === 'HEAD' ? undefined : object.bytes);
}

class TooLarge extends Error {}

async function receive(store: MemoryStore, req: IncomingMessage, res: ServerResponse, limit: number): Promise<void> {
  let seen = 0;
  const capped = req.pipe(
    new Transform({
      transform(chunk: Buffer, _enc, done) {
        seen += chunk.length;
        done(seen > limit ? new TooLarge() : null, chunk);
      },
    }),
  );
  let form: FormData;
  try {
    // The web Request parser reads the whole form: this store holds objects in memory anyway, and `limit` caps it.
    const request = new Request('http://memory.localhost/', {
      method: 'POST',
      headers: { 'content-type': req.headers['content-type'] ?? '' },
      body: Readable.toWeb(capped) as ReadableStream,
      duplex: 'half',
    } as RequestInit);
    form = await request.formData();
  } catch (error) {
    req.resume();
    if (error instanceof TooLarge || (error as { cause?: unknown })?.cause instanceof TooLarge)
      return answer(res, 413, `the request is larger than ${limit} bytes`);
    return answer(res, 400, 'the body must be a multipart/form-data form');
  }
  const field = (name: string) => {
    const value = form.get(name);
    return typeof value === 'string' ? value : '';
  };
  const grant: PostGrant = {
    key: field('key'),
    mime: field('Content-Type'),
    minSize: Number(field('min-size')),
    maxSize: Number(field('max-size')),
    private: field('visibility') === 'private',
    expires: Number(field('expires')),
  };
  if (!signatureMatches(field('signature'), signPost(store.secret, grant)))
    return answer(res, 403, 'the form fields do not match their signature');
  if (!(grant.expires * 1000 >= Date.now())) return answer(res, 403, 'the upload credentials have expired');
  const file = form.get('file');
  if (!file || typeof file === 'string') return answer(res, 400, 'the form needs a file part named "file"');
  if (file.size > grant.maxSize) return answer(res, 413, `the file is larger than ${grant.maxSize} bytes`);
  if (file.size < grant.minSize) return answer(res, 400, `the file is smaller than ${grant.minSize} bytes`);
  const family = MIME_FAMILY.exec(grant.mime)?.[1];
  const type = file.type || grant.mime;
  if (family ? !type.startsWith(family) : type.split(';')[0] !== grant.mime.split(';')[0])
    return answer(res, 415, `the file must be of type ${grant.mime}`);
  const bytes = Buffer.from(await file.arrayBuffer());
  store.put(grant.key, memoryObject(bytes, family ? type : grant.mime, grant.private));
  res.writeHead(204).end();
}

/** A node:http server for a store on 127.0.0.1 (port 0): give `baseUrl` to the providers that share `store`. */
export async function serveMemory(store: MemoryStore = createMemoryStore()): Promise<{
  store: MemoryStore;
  baseUrl: string;
  close(): Promise<void>;
}> {
  const handler = createMemoryHandler(store);
  const server = createServer((req, res) => {
    void handler(req, res).then((handled) => {
      if (!handled) answer(res, 404, 'not found');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    store,
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
