import type { IncomingMessage, ServerResponse } from 'node:http';
import { internalsOf } from './internals.js';
import type { LocalProvider } from './provider.js';
import { receiveUpload } from './receive.js';
import { HttpError, sendError } from './respond.js';
import { serveFile } from './serve.js';

export interface LocalHandlerOptions {
  /**
   * Origins allowed to read files and POST direct uploads from a browser page: `'*'` (the default: a direct upload
   * is only accepted with a signed policy, and a private file only with a signed URL), a list of origins such as
   * `['https://app.example.com']`, or `false` for no CORS headers.
   */
  corsOrigins?: '*' | readonly string[] | false;
  /** How many bytes of a refused upload to read and discard so the client sees the answer; then the socket closes. */
  drainLimitBytes?: number;
}

/**
 * Serves a local provider's files and accepts its direct uploads. Resolves `false` when the request is not for this
 * provider (let the host answer it), `true` when it answered.
 */
export interface LocalHandler {
  (req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  /** True when `req` is one this handler answers (by path only); no I/O. */
  handles(req: IncomingMessage): boolean;
}

const FILE_HEADERS_EXPOSED = 'Content-Length, Content-Range, Content-Disposition, ETag, Last-Modified, Accept-Ranges';

function splitUrl(rawUrl: string): { path: string; query: string } {
  const q = rawUrl.indexOf('?');
  return q < 0 ? { path: rawUrl, query: '' } : { path: rawUrl.slice(0, q), query: rawUrl.slice(q + 1) };
}

/**
 * A request handler for any Node HTTP server (node:http, Express, Fastify's raw request) that serves the provider's
 * files under its `baseUrl` path and accepts direct-upload POSTs on its `directUploadPath`.
 */
export function createLocalHandler(provider: LocalProvider, options: LocalHandlerOptions = {}): LocalHandler {
  const internals = internalsOf(provider);
  const { locations } = internals;
  const cors = options.corsOrigins ?? '*';
  const drainLimit = options.drainLimitBytes ?? 8 * 1024 * 1024;

  const fileKeyOf = (path: string): string | null => {
    const base = `${locations.basePath}/`;
    return path.startsWith(base) ? path.slice(base.length) : null;
  };
  const isUploadPath = (path: string) =>
    path === locations.directUploadPath ||
    path === `${locations.directUploadPath}/` ||
    (path === '/' && locations.directUploadPath === '');

  const matches = (req: IncomingMessage): boolean => {
    const { path } = splitUrl(req.url ?? '/');
    return isUploadPath(path) || fileKeyOf(path) !== null;
  };

  const setCors = (req: IncomingMessage, res: ServerResponse): void => {
    if (cors === false) return;
    const origin = req.headers.origin;
    if (cors === '*') {
      res.setHeader('Access-Control-Allow-Origin', '*');
    } else {
      res.setHeader('Vary', 'Origin');
      if (!origin || !cors.includes(origin)) return;
      res.setHeader('Access-Control-Allow-Origin', origin);
    }
    res.setHeader('Access-Control-Expose-Headers', FILE_HEADERS_EXPOSED);
  };

  const handler = async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const { path, query } = splitUrl(req.url ?? '/');
    const upload = isUploadPath(path);
    const rawKey = upload ? null : fileKeyOf(path);
    if (!upload && rawKey === null) return false;

    setCors(req, res);
    // Every answer, errors included: a client must never guess a type from the bytes.
    res.setHeader('X-Content-Type-Options', 'nosniff');
    const method = req.method ?? 'GET';
    try {
      if (method === 'OPTIONS') {
        preflight(req, res, cors);
      } else if (upload && method === 'POST') {
        await receiveUpload(internals, req, res);
      } else if (rawKey !== null && (method === 'GET' || method === 'HEAD')) {
        await serveFile(internals, req, res, rawKey, new URLSearchParams(query));
      } else {
        res.setHeader('Allow', upload ? 'POST, OPTIONS' : 'GET, HEAD, OPTIONS');
        throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${method} is not allowed here`);
      }
    } catch (error) {
      await sendError(internals, req, res, error, drainLimit);
    }
    return true;
  };
  return Object.assign(handler, { handles: matches });
}

function preflight(req: IncomingMessage, res: ServerResponse, cors: LocalHandlerOptions['corsOrigins']): void {
  if (cors !== false && res.hasHeader('Access-Control-Allow-Origin')) {
    res.setHeader('Access-Control-Allow-Methods', 'GET, HEAD, POST, OPTIONS');
    const asked = req.headers['access-control-request-headers'];
    res.setHeader('Access-Control-Allow-Headers', typeof asked === 'string' && asked ? asked : 'Content-Type, Range');
    res.setHeader('Access-Control-Max-Age', '600');
  }
  res.statusCode = 204;
  res.end();
}
