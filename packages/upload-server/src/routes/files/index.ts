import { createHash } from 'node:crypto';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { contentDisposition, createDebug, etagMatches, parseRange } from 'upload-provider';
import { isInlineSafe } from '../../content/index.js';
import type { UploadsContext } from '../../context.js';
import { envelope, HttpError } from '../../errors.js';
import { AllowList, FetchError, guardedFetch } from '../../fetch/index.js';
import { refOf } from '../../files/model.js';
import { checkName, sha256Hex } from '../../files/names.js';
import { isMultipart, readUploadForm } from '../../http/form.js';
import { absoluteUrl, clientAbortSignal } from '../../http/request.js';
import type { FileEntityRow, FileRow } from '../../store/schema.js';
import { DOWNLOAD_SCHEMA, FROM_URL_SCHEMA, SIGN_URLS_SCHEMA, UPLOAD_SCHEMA } from './schemas.js';

const debug = createDebug('upload-server:files');

/** Most secrets one `POST /api/files/sign-urls` call may sign. */
export const MAX_SIGN_BATCH = 100;

/** Secrets are 24 random bytes in base64url; anything else cannot be one (and gets the same 404 as an unknown one). */
const SECRET_PATTERN = /^[A-Za-z0-9_-]{32}$/;

/** What `POST /api/files` and `POST /api/files/from-url` answer. */
export interface SecretFile {
  id: number;
  secret: string;
  name: string;
  contentType: string;
  contentLength: number;
}

function secretFile(row: FileEntityRow): SecretFile {
  if (!row.secret) throw new Error('the ingest pipeline returned no secret');
  return {
    id: Number(row.id),
    secret: row.secret,
    name: row.name,
    contentType: row.mime,
    contentLength: Number(row.size_in_bytes),
  };
}

/** A strong validator for a stored file: changes whenever its content is replaced. */
function etagOf(row: FileRow): string {
  const digest = createHash('sha256')
    .update(`${row.object_key}\n${row.size_in_bytes}\n${row.updated_at}`)
    .digest('base64url')
    .slice(0, 27);
  return `"${digest}"`;
}

/** One answer for malformed and unknown secrets alike: nothing tells whether a file exists, nothing is echoed. */
export function secretNotFound(reply: FastifyReply) {
  reply.code(404).header('cache-control', 'no-store');
  return envelope(404, 'Not Found');
}

/**
 * Whether a request the router could not take (a segment too long, undecodable, or more segments) was a download
 * by secret: it then gets {@link secretNotFound}, as an unknown secret does.
 */
export function isSecretDownload(method: string, url: string): boolean {
  return (method === 'GET' || method === 'HEAD') && url.startsWith('/api/files/');
}

async function findBySecret(ctx: UploadsContext, secret: unknown): Promise<FileRow | undefined> {
  if (typeof secret !== 'string' || !SECRET_PATTERN.test(secret)) return undefined;
  // Looked up by the digest: an attacker cannot steer a sha256, so the index lookup leaks nothing useful.
  return ctx.repo.findFileBySecretHash(sha256Hex(secret));
}

function fileNameFromUrl(url: string): string {
  try {
    const last = new URL(url).pathname.split('/').filter(Boolean).pop();
    const decoded = last ? decodeURIComponent(last) : '';
    return decoded.trim() || 'download';
  } catch {
    return 'download';
  }
}

function givenName(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.trim() === '' || value.length > 255) {
    throw new HttpError(400, 'name must be a non-empty string of at most 255 characters');
  }
  checkName(value, 'name');
  return value;
}

/**
 * Files addressed by secret: upload (`POST /api/files`), fetch from a URL (`POST /api/files/from-url`), download
 * by secret (`GET /api/files/:secret`: a read token once tokens exist, unless `publicSecretLinks`) and signed URLs for many
 * secrets at once (`POST /api/files/sign-urls`).
 */
export const filesRoutes: FastifyPluginAsync = async (app) => {
  const ctx = app.uploads;
  const allow = new AllowList(ctx.config.fromUrl.allow);

  app.post('/api/files', { schema: UPLOAD_SCHEMA }, async (request, reply) => {
    const signal = clientAbortSignal(request, reply);
    if (!isMultipart(request)) throw new HttpError(400, 'Send the file as multipart/form-data, in a part named "file"');
    const { staged } = await readUploadForm(request, ctx, {
      signal,
      withSecret: true,
      fileFields: new Set(['file']),
    });
    const [one] = staged;
    if (!one) throw new HttpError(400, 'No file: send it in a multipart part named "file"');
    if (staged.length > 1) {
      await Promise.all(staged.map((s) => ctx.uploads.discard(s)));
      throw new HttpError(400, `Send one file per request; got ${staged.length}`);
    }
    const row = await ctx.uploads.commit(one);
    reply.code(201);
    return secretFile(row);
  });

  app.post('/api/files/from-url', { schema: FROM_URL_SCHEMA }, async (request, reply) => {
    const body = request.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new HttpError(400, 'Send a JSON object: { "url": "https://…", "name"?, "method"?, "headers"? }');
    }
    const { url, name, method, headers } = body as Record<string, unknown>;
    if (url === undefined) throw new HttpError(400, 'url is required');
    if (method !== undefined && typeof method !== 'string') throw new HttpError(400, 'method must be GET or POST');
    const given = givenName(name);
    const signal = clientAbortSignal(request, reply);
    const res = await guardedFetch(url, {
      maxBytes: ctx.config.sizeLimit,
      timeoutMs: ctx.config.fromUrl.timeoutMs,
      maxRedirects: ctx.config.fromUrl.maxRedirects,
      allow,
      signal,
      ...(method !== undefined ? { method } : {}),
      ...(headers !== undefined ? { headers: headers as Record<string, string> } : {}),
    });
    let fetchFailure: FetchError | undefined;
    res.body.on('error', (error) => {
      if (error instanceof FetchError) fetchFailure = error;
    });
    try {
      const row = await ctx.uploads.ingest({
        stream: res.body,
        filename: given ?? fileNameFromUrl(res.url),
        ...(res.contentType ? { claimedMime: res.contentType } : {}),
        withSecret: true,
        signal,
      });
      reply.code(201);
      return secretFile(row);
    } catch (error) {
      res.body.destroy();
      // The remote side's failure (too large, too slow, cut off) is the answer, however the pipeline wrapped it.
      if (fetchFailure) throw fetchFailure;
      throw error;
    }
  });

  app.route({
    method: ['GET', 'HEAD'],
    url: '/api/files/:secret',
    // The secret addresses a file; a read token authorises the download, unless secrets are public links by choice.
    config: { access: ctx.config.publicSecretLinks ? 'public' : 'read' },
    exposeHeadRoute: false,
    schema: DOWNLOAD_SCHEMA,
    handler: async (request, reply) => {
      const row = await findBySecret(ctx, (request.params as { secret?: unknown }).secret);
      if (!row) return secretNotFound(reply);
      const etag = etagOf(row);
      const size = Number(row.size_in_bytes);
      const disposition = isInlineSafe(row.mime) ? 'inline' : 'attachment';
      reply.header('etag', etag);
      reply.header('cache-control', 'private, no-cache');
      reply.header('x-content-type-options', 'nosniff');
      // A file is data, never a page of this origin: no script, no plugins, even if a browser renders it.
      reply.header('content-security-policy', "default-src 'none'; sandbox");
      const ifNoneMatch = request.headers['if-none-match'];
      if (ifNoneMatch !== undefined && etagMatches(ifNoneMatch, etag)) {
        reply.code(304);
        return reply.send();
      }

      const { provider } = ctx;
      if (!provider.capabilities.read || typeof provider.read !== 'function') {
        // The storage serves the bytes: send the client to a short-lived signed URL that names the file.
        const signed = await provider.signUrl(refOf(row), { expiresIn: 60, downloadName: row.name, disposition });
        reply.header('cache-control', 'no-store');
        return reply.redirect(absoluteUrl(signed.url, request), 302);
      }

      reply.header('content-type', row.mime);
      reply.header('content-disposition', contentDisposition(disposition, row.name));
      reply.header('accept-ranges', provider.capabilities.rangeRead ? 'bytes' : 'none');
      const ifRange = request.headers['if-range'] as string | undefined;
      const rangeHeader = ifRange === undefined || ifRange.trim() === etag ? request.headers.range : undefined;
      const range = provider.capabilities.rangeRead ? parseRange(rangeHeader, size) : null;
      if (range === 'unsatisfiable') {
        reply.code(416).header('content-range', `bytes */${size}`).removeHeader('content-disposition');
        reply.header('content-type', 'application/json; charset=utf-8');
        return JSON.stringify(envelope(416, `The range is outside the file's ${size} bytes`));
      }
      if (range) {
        reply.code(206);
        reply.header('content-range', `bytes ${range.start}-${range.end}/${size}`);
        reply.header('content-length', String(range.end - range.start + 1));
      } else {
        reply.header('content-length', String(size));
      }
      if (request.method === 'HEAD') return reply.send();
      const stream = await provider.read(refOf(row), range ? { start: range.start, end: range.end } : undefined);
      stream.on('error', (error) => debug('download stream failed', { message: error.message }));
      return reply.send(stream);
    },
  });

  app.post('/api/files/sign-urls', { config: { access: 'read' }, schema: SIGN_URLS_SCHEMA }, async (request) => {
    const body = request.body as { secrets?: unknown } | null;
    const secrets = body?.secrets;
    if (!Array.isArray(secrets) || secrets.some((s) => typeof s !== 'string')) {
      throw new HttpError(400, 'Send { "secrets": ["…", …] }: an array of file secrets (strings)');
    }
    if (secrets.length === 0) throw new HttpError(400, 'secrets is empty: send at least one secret');
    if (secrets.length > MAX_SIGN_BATCH) {
      throw new HttpError(400, `Too many secrets: at most ${MAX_SIGN_BATCH} per call, got ${secrets.length}`, {
        max: MAX_SIGN_BATCH,
      });
    }
    const expiresIn = ctx.config.fileUrlExpiresIn;
    const items = await Promise.all(
      (secrets as string[]).map(async (secret) => {
        const row = await findBySecret(ctx, secret);
        if (!row) return { secret, url: null, expiresAt: null, error: 'Not Found' };
        const disposition = isInlineSafe(row.mime) ? 'inline' : 'attachment';
        const signed = await ctx.provider.signUrl(refOf(row), { expiresIn, downloadName: row.name, disposition });
        return { secret, url: absoluteUrl(signed.url, request), expiresAt: signed.expiresAt.toISOString() };
      }),
    );
    return { items };
  });
};
