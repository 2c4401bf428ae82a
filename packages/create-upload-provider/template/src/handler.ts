import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { contentDisposition, normaliseKey } from 'upload-provider';
import { objectPaths, type StoredMeta } from './folder.js';
import { dispositionOf, verifySignedQuery } from './signing.js';

export interface __Pascal__HandlerOptions {
  /** The provider's `root`. */
  root: string;
  /** The provider's `secret`. */
  secret: string;
  /** The path the handler is mounted at: the path of the provider's `baseUrl`. Default `/`. */
  basePath?: string;
}

/**
 * A node:http handler that serves the objects of a `__camel__Provider` folder: plain URLs of public objects, and
 * signed URLs (checked in constant time, refused once expired). Resolves `false` for paths outside `basePath`.
 * A storage service with its own URLs does not need this: replace it when you replace the folder.
 */
export function create__Pascal__Handler(options: __Pascal__HandlerOptions) {
  const secret = Buffer.from(options.secret);
  const basePath = `/${(options.basePath ?? '').replace(/^\/+|\/+$/g, '')}`.replace(/^\/$/, '');

  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (!url.pathname.startsWith(`${basePath}/`)) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') return answer(res, 405, 'only GET and HEAD are served');
    let key: string;
    try {
      key = normaliseKey(
        url.pathname
          .slice(basePath.length + 1)
          .split('/')
          .map(decodeURIComponent)
          .join('/'),
      );
    } catch {
      return answer(res, 400, 'the path is not a valid key');
    }
    const signed = url.searchParams.has('signature');
    if (signed && !verifySignedQuery(secret, key, url.searchParams))
      return answer(res, 403, 'the signature is not valid or has expired');
    const { file, meta } = objectPaths(options.root, key);
    let size: number;
    let stored: StoredMeta;
    try {
      size = (await stat(file)).size;
      stored = JSON.parse(await readFile(meta, 'utf8')) as StoredMeta;
    } catch {
      return answer(res, 404, 'no such object');
    }
    if (stored.private && !signed) return answer(res, 403, 'a private object is served only through a signed URL');
    const headers: Record<string, string | number> = { 'content-type': stored.mime, 'content-length': size };
    const download = signed ? url.searchParams.get('download') : null;
    if (download !== null)
      headers['content-disposition'] = contentDisposition(dispositionOf(url.searchParams), download);
    res.writeHead(200, headers);
    if (req.method === 'HEAD') res.end();
    else await pipeline(createReadStream(file), res).catch(() => res.destroy());
    return true;
  };
}

function answer(res: ServerResponse, status: number, message: string): true {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(message);
  return true;
}
