import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { contentDisposition, etagMatches, isProviderError, normaliseKey, parseRange } from 'upload-provider';
import type { LocalInternals } from './internals.js';
import { HttpError, stripProvider } from './respond.js';
import { verifyGrant } from './signing.js';
import { etagOf, type OpenFile } from './store.js';

/** The object name for a URL path under the base path; every hostile form is refused here, before any I/O. */
function objectNameOf(internals: LocalInternals, rawKey: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawKey);
  } catch {
    throw new HttpError(400, 'INVALID_INPUT', 'the file path is not valid percent-encoding');
  }
  try {
    return internals.store.objectName(normaliseKey(decoded));
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

/** Answers a GET or HEAD of a file: signature, privacy, then the bytes with validators and ranges. */
export async function serveFile(
  internals: LocalInternals,
  req: IncomingMessage,
  res: ServerResponse,
  rawKey: string,
  params: URLSearchParams,
): Promise<void> {
  const objectName = objectNameOf(internals, rawKey);
  const grant = checkSignature(internals, objectName, params);
  if (internals.options.private && grant?.expires === undefined) {
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
      // The file's headers describe a body this answer does not have.
      res.removeHeader('Content-Disposition');
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
