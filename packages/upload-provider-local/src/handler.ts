import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { contentDisposition, isProviderError, normaliseKey, type ProviderError } from 'upload-provider';
import { internalsOf, type LocalInternals } from './internals.js';
import { boundaryOf, DEFAULT_LIMITS, MultipartError, parseMultipart } from './multipart.js';
import type { LocalProvider } from './provider.js';
import { decodePolicy, mimeAllowed, type UploadPolicy, verifyGrant, verifyPolicy } from './signing.js';
import { etagOf, type OpenFile } from './store.js';

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

/** An answer to send as `{ error: { code, message } }`. */
class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const STATUS_OF: Record<string, number> = {
  INVALID_INPUT: 400,
  ACCESS_DENIED: 403,
  NOT_FOUND: 404,
  TOO_LARGE: 413,
  INTEGRITY: 400,
  UNAVAILABLE: 503,
  ABORTED: 400,
};

const FILE_HEADERS_EXPOSED = 'Content-Length, Content-Range, Content-Disposition, ETag, Last-Modified, Accept-Ranges';

function splitUrl(rawUrl: string): { path: string; query: string } {
  const q = rawUrl.indexOf('?');
  return q < 0 ? { path: rawUrl, query: '' } : { path: rawUrl.slice(0, q), query: rawUrl.slice(q + 1) };
}

/** The byte range a `Range` header asks for: a range, `'unsatisfiable'`, or null to serve the whole file. */
export function parseRange(header: string, size: number): { start: number; end: number } | 'unsatisfiable' | null {
  const match = /^bytes=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!match) return null; // several ranges or a unit we do not know: the whole file is a valid answer
  const [, first, last] = match;
  if (first === '' && last === '') return null;
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (last !== '' && Number(last) < start) return null; // invalid syntax: ignore the header (RFC 9110 14.1.1)
  if (start >= size) return 'unsatisfiable';
  return { start, end };
}

function etagMatches(header: string, etag: string): boolean {
  if (header.trim() === '*') return true;
  const weakless = (tag: string) => tag.trim().replace(/^W\//, '');
  return header.split(',').some((tag) => weakless(tag) === weakless(etag));
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

async function sendError(
  internals: LocalInternals,
  req: IncomingMessage,
  res: ServerResponse,
  error: unknown,
  drainLimit: number,
): Promise<void> {
  let status: number;
  let code: string;
  let message: string;
  if (error instanceof HttpError) {
    ({ status, code, message } = error);
  } else if (error instanceof MultipartError) {
    status = error.status;
    code = status === 413 ? 'TOO_LARGE' : 'INVALID_INPUT';
    message = error.message;
  } else if (isProviderError(error)) {
    status = STATUS_OF[error.code] ?? 500;
    code = error.code;
    message = status === 500 ? 'the file could not be stored or read; see the server log' : stripProvider(error);
  } else {
    status = 500;
    code = 'INTERNAL';
    message = 'internal error; see the server log';
  }
  if (status >= 500) internals.debug('handler error', { message: (error as Error)?.message });
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ error: { code, message } });
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.setHeader('Cache-Control', 'no-store');
  if (req.readableEnded || req.destroyed) {
    res.end(body);
    return;
  }
  // The client may still be sending (a refused upload). Read and discard the rest first, up to `drainLimit` bytes, so
  // it sees this answer: a browser still uploading when the socket closes reports a reset, not the answer. Beyond the
  // limit, answer and hang up.
  await drain(req, drainLimit).then((complete) => {
    if (!complete) res.setHeader('Connection', 'close');
  });
  res.end(body);
}

/** Reads and discards what is left of a request body; true when it ended within `limit` bytes. */
function drain(req: IncomingMessage, limit: number): Promise<boolean> {
  return new Promise((resolve) => {
    let drained = 0;
    const finish = (complete: boolean) => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('close', onClose);
      resolve(complete);
    };
    const onData = (chunk: Buffer) => {
      drained += chunk.length;
      if (drained > limit) {
        req.pause();
        finish(false);
      }
    };
    const onEnd = () => finish(true);
    const onClose = () => finish(req.readableEnded);
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('close', onClose);
    req.on('error', () => undefined);
    req.resume();
  });
}

function stripProvider(error: ProviderError): string {
  return error.message.replace(/^\[[^\]]*\]\s*/, '');
}

/** The object name for a URL path under the base path; every hostile form is refused here, before any I/O. */
function objectNameOf(internals: LocalInternals, rawKey: string): { key: string; objectName: string } {
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawKey);
  } catch {
    throw new HttpError(400, 'INVALID_INPUT', 'the file path is not valid percent-encoding');
  }
  try {
    const key = normaliseKey(decoded);
    return { key, objectName: internals.store.objectName(key) };
  } catch (error) {
    const detail = isProviderError(error) ? `: ${stripProvider(error)}` : '';
    throw new HttpError(400, 'INVALID_INPUT', `the file path is not a valid key${detail}`);
  }
}

type Grant = { disposition?: 'inline' | 'attachment' | undefined; downloadName?: string | undefined; expires?: number };

/** Checks a signed URL's parameters; null when the URL carries no signature. Throws 403 when it is bad or expired. */
function checkSignature(internals: LocalInternals, objectName: string, params: URLSearchParams): Grant | null {
  const dispositionParam = params.get('disposition');
  const disposition = dispositionParam === 'inline' || dispositionParam === 'attachment' ? dispositionParam : undefined;
  const downloadName = params.get('name') ?? undefined;
  const signature = params.get('signature');
  if (signature === null) {
    // Without a secret the provider is public and its URLs carry the download name unsigned.
    return internals.secret === undefined && (disposition || downloadName) ? { disposition, downloadName } : null;
  }
  if (internals.secret === undefined) throw new HttpError(403, 'ACCESS_DENIED', 'this server does not sign URLs');
  const expiresParam = params.get('expires') ?? '';
  const expires = /^\d{1,16}$/.test(expiresParam) ? Number(expiresParam) : Number.NaN;
  if (!Number.isSafeInteger(expires)) {
    throw new HttpError(403, 'ACCESS_DENIED', 'the signed URL has no valid "expires" parameter');
  }
  if (dispositionParam !== null && disposition === undefined) {
    throw new HttpError(403, 'ACCESS_DENIED', 'the signed URL does not match its signature');
  }
  // Verify before looking at the expiry, so a forged URL learns nothing about time.
  if (!verifyGrant(internals.secret, { objectName, expires, disposition, downloadName }, signature)) {
    throw new HttpError(403, 'ACCESS_DENIED', 'the signed URL does not match its signature');
  }
  if (Date.now() >= expires) {
    throw new HttpError(403, 'ACCESS_DENIED', `the signed URL expired at ${new Date(expires).toISOString()}`);
  }
  return { disposition, downloadName, expires };
}

async function serveFile(
  internals: LocalInternals,
  req: IncomingMessage,
  res: ServerResponse,
  rawKey: string,
  params: URLSearchParams,
): Promise<void> {
  const { objectName } = objectNameOf(internals, rawKey);
  const grant = checkSignature(internals, objectName, params);
  const signed = grant?.expires !== undefined;
  if (internals.options.private && !signed) {
    // A private file does not exist for an unsigned request; 404 tells nothing about which keys exist.
    throw new HttpError(404, 'NOT_FOUND', 'not found (files here are private: use a signed URL)');
  }
  const file = await internals.store.open(objectName);
  if (!file) throw new HttpError(404, 'NOT_FOUND', 'not found');
  try {
    await send(internals, req, res, objectName, file, grant);
  } finally {
    await file.handle.close().catch(() => undefined);
  }
}

async function send(
  internals: LocalInternals,
  req: IncomingMessage,
  res: ServerResponse,
  objectName: string,
  { handle, stats }: OpenFile,
  grant: Grant | null,
): Promise<void> {
  const meta = await internals.store.readMeta(objectName);
  const etag = etagOf(stats);
  const size = stats.size;
  res.setHeader('ETag', etag);
  res.setHeader('Last-Modified', stats.mtime.toUTCString());
  res.setHeader('Accept-Ranges', 'bytes');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  // Files are data, never a page: an uploaded HTML or SVG file cannot run script or reach this origin.
  res.setHeader('Content-Security-Policy', "default-src 'none'; sandbox");
  if (grant?.expires !== undefined) {
    const seconds = Math.max(0, Math.floor((grant.expires - Date.now()) / 1000));
    res.setHeader('Cache-Control', `private, max-age=${seconds}`);
  } else if (internals.options.private) {
    res.setHeader('Cache-Control', 'private, no-store');
  } else if (meta?.cacheControl) {
    res.setHeader('Cache-Control', meta.cacheControl);
  }

  const ifNoneMatch = req.headers['if-none-match'];
  const ifModifiedSince = req.headers['if-modified-since'];
  const notModified =
    ifNoneMatch !== undefined
      ? etagMatches(ifNoneMatch, etag)
      : ifModifiedSince !== undefined &&
        !Number.isNaN(Date.parse(ifModifiedSince)) &&
        Math.floor(stats.mtimeMs / 1000) * 1000 <= Date.parse(ifModifiedSince);
  if (notModified) {
    res.statusCode = 304;
    res.end();
    return;
  }

  res.setHeader('Content-Type', meta?.mime || 'application/octet-stream');
  const name = grant?.downloadName ?? meta?.name;
  const disposition = grant?.disposition ?? (grant?.downloadName ? 'attachment' : (meta?.disposition ?? 'inline'));
  res.setHeader('Content-Disposition', contentDisposition(disposition, name));

  let start = 0;
  let end = size - 1;
  const rangeHeader = req.headers.range;
  const ifRange = req.headers['if-range'];
  if (rangeHeader !== undefined && (ifRange === undefined || String(ifRange).trim() === etag)) {
    const range = parseRange(rangeHeader, size);
    if (range === 'unsatisfiable') {
      res.setHeader('Content-Range', `bytes */${size}`);
      throw new HttpError(416, 'INVALID_INPUT', `the range "${rangeHeader}" is outside the file's ${size} bytes`);
    }
    if (range) {
      ({ start, end } = range);
      res.statusCode = 206;
      res.setHeader('Content-Range', `bytes ${start}-${end}/${size}`);
    }
  }
  const length = size === 0 ? 0 : end - start + 1;
  res.setHeader('Content-Length', length);
  if (req.method === 'HEAD' || length === 0) {
    res.end();
    return;
  }
  await pipeline(handle.createReadStream({ start, end, autoClose: false }), res);
}

/** Reads one signed form POST: fields, then the file, streamed to disk and checked against every policy condition. */
async function receiveUpload(internals: LocalInternals, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (internals.secret === undefined) {
    throw new HttpError(403, 'ACCESS_DENIED', 'direct uploads are off: the provider has no "secret" to sign policies');
  }
  const secret = internals.secret;
  const boundary = boundaryOf(req.headers['content-type']);
  if (!boundary) {
    throw new HttpError(415, 'INVALID_INPUT', 'a direct upload must be a multipart/form-data POST with a boundary');
  }
  const fields = new Map<string, string>();
  let stored: { key: string; size: number; mime: string } | undefined;

  const { file } = await parseMultipart(
    req,
    boundary,
    {
      field(name, value) {
        if (fields.has(name)) throw new HttpError(400, 'INVALID_INPUT', `the form field "${name}" appears twice`);
        fields.set(name, value);
      },
      async file(info, stream) {
        if (info.name !== 'file') {
          throw new HttpError(
            400,
            'INVALID_INPUT',
            `the file must be sent in the form field "file", not "${info.name}"`,
          );
        }
        const policy = checkPolicy(secret, fields);
        const typeField = [...fields].find(([k]) => k.toLowerCase() === 'content-type')?.[1];
        const mime = typeField ?? info.contentType;
        if (!mimeAllowed(policy.mime, mime)) {
          throw new HttpError(415, 'INVALID_INPUT', `this upload allows only ${policy.mime}; the file is ${mime}`);
        }
        const objectName = internals.store.objectName(policy.key);
        internals.debug('direct upload', { key: objectName, maxSize: policy.maxSize });
        const stats = await internals.store.write(objectName, stream, {
          maxBytes: policy.maxSize,
          minBytes: policy.minSize,
          meta: { key: objectName, mime, name: policy.name ?? info.filename },
        });
        stored = { key: policy.key, size: stats.size, mime };
      },
    },
    DEFAULT_LIMITS,
  );
  if (!file || !stored) throw new HttpError(400, 'INVALID_INPUT', 'the form has no "file" part (it must come last)');
  // The file is stored; whatever follows it in the body is not ours to read.
  if (!req.readableEnded) req.resume();
  const body = JSON.stringify(stored);
  res.statusCode = 201;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.setHeader('Cache-Control', 'no-store');
  res.end(body);
}

/** Every condition that can be checked before the file's bytes arrive. */
function checkPolicy(secret: string, fields: Map<string, string>): UploadPolicy {
  const encoded = fields.get('policy');
  const signature = fields.get('signature');
  if (!encoded || !signature) {
    throw new HttpError(400, 'INVALID_INPUT', 'the form needs the "policy" and "signature" fields before the file');
  }
  if (!verifyPolicy(secret, encoded, signature)) {
    throw new HttpError(403, 'ACCESS_DENIED', 'the upload policy does not match its signature');
  }
  const policy = decodePolicy(encoded);
  if (!policy) throw new HttpError(403, 'ACCESS_DENIED', 'the upload policy is not one this server issues');
  if (Date.now() >= policy.expires) {
    throw new HttpError(403, 'ACCESS_DENIED', `the upload policy expired at ${new Date(policy.expires).toISOString()}`);
  }
  const key = fields.get('key');
  if (key !== undefined && key !== policy.key) {
    throw new HttpError(403, 'ACCESS_DENIED', `this upload may only write the key ${JSON.stringify(policy.key)}`);
  }
  return policy;
}
