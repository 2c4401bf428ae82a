import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FastifyPluginAsync } from 'fastify';
import { ByteCounter, buildKey, createDebug, normalisePrefix, type StoredRef, slugifyName } from 'upload-provider';
import { checkMime, essence, SNIFF_BYTES, sniffStream } from '../../content/index.js';
import type { UploadsContext } from '../../context.js';
import { HttpError } from '../../errors.js';
import { deleteFormats, type FormatEntity, ImageError } from '../../images/index.js';
import { type NewLink, nowIso } from '../../store/repository.js';
import type { DirectUploadRow, NewFileRow } from '../../store/schema.js';
import { newDocumentId } from '../../uploads/ingest.js';
import { absoluteUrl } from '../files/index.js';
import { roundKb, toFileEntity } from '../strapi/entity.js';
import { parseFileInfo, parseLinks } from '../strapi/form.js';

const debug = createDebug('upload-server:direct');

/** How long after its credentials expire an upload may still be confirmed, and before the sweep removes it. */
export const CONFIRM_GRACE_MS = 60_000;
/** How often expired direct uploads are swept (also once at start-up). */
export const SWEEP_INTERVAL_MS = 60_000;

const UPLOAD_ID = /^du_[0-9a-f]{32}$/;

function metadataOf(text: string | null): Record<string, unknown> | null {
  if (!text) return null;
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return null;
  }
}

function refOf(row: Pick<DirectUploadRow, 'object_key' | 'provider_metadata'>): StoredRef {
  return { key: row.object_key, providerMetadata: metadataOf(row.provider_metadata) };
}

/**
 * Removes the objects of direct uploads whose credentials expired (plus the grace period) without a confirm, and
 * marks them expired. Returns how many were swept. `now` defaults to the clock.
 */
export async function sweepExpiredDirectUploads(ctx: UploadsContext, now: number = Date.now()): Promise<number> {
  const cutoff = new Date(now - CONFIRM_GRACE_MS).toISOString();
  const rows = await ctx.db
    .selectFrom('direct_uploads')
    .selectAll()
    .where('status', '=', 'pending')
    .where('expires_at', '<', cutoff)
    .limit(500)
    .execute();
  let swept = 0;
  for (const row of rows) {
    // Claim the row first, so a confirm racing the sweep cannot record a file whose object is being removed.
    const claimed = await ctx.db
      .updateTable('direct_uploads')
      .set({ status: 'expired' })
      .where('id', '=', row.id)
      .where('status', '=', 'pending')
      .executeTakeFirst();
    if (Number(claimed.numUpdatedRows) === 0) continue;
    try {
      await ctx.provider.delete(refOf(row));
      swept += 1;
    } catch (error) {
      ctx.log.error({ err: error, uploadId: row.id }, 'could not remove the object of an expired direct upload');
    }
  }
  if (swept > 0) debug('swept', { swept });
  return swept;
}

function requireString(value: unknown, name: string, max = 255): string {
  if (typeof value !== 'string' || value.trim() === '' || value.length > max) {
    throw new HttpError(400, `${name} is required: a non-empty string of at most ${max} characters`, {
      errors: [{ path: [name], message: `${name} must be a non-empty string`, name: 'ValidationError' }],
    });
  }
  return value;
}

/** Reads an uploaded object (its first `end + 1` bytes, or all of it), through the provider or its signed URL. */
async function readObject(ctx: UploadsContext, ref: StoredRef, size: number, end?: number): Promise<Readable> {
  const { provider } = ctx;
  if (size === 0) return Readable.from([]);
  if (provider.capabilities.read && typeof provider.read === 'function') {
    const ranged = end !== undefined && provider.capabilities.rangeRead;
    return provider.read(ref, ranged ? { start: 0, end } : undefined);
  }
  // The storage serves the bytes: read them through a short-lived signed URL.
  const { url } = await provider.signUrl(ref, { expiresIn: 60 });
  const res = await fetch(url, end === undefined ? {} : { headers: { range: `bytes=0-${end}` } });
  if (!res.ok || !res.body) throw new HttpError(502, 'The storage did not serve the uploaded object');
  return Readable.fromWeb(res.body as import('node:stream/web').ReadableStream);
}

// Raster types sharp decodes, as in the ingest pipeline: their dimensions and formats are made at confirm.
const RASTER = new Set(['image/jpeg', 'image/png', 'image/webp', 'image/gif', 'image/avif', 'image/tiff']);

interface ImageFacts {
  width: number | null;
  height: number | null;
  formats: Record<string, FormatEntity> | null;
}

/**
 * For a raster image: copies the object to a temporary file (bounded by its size), probes its dimensions (a
 * decompression bomb is an ImageError) and makes its responsive formats, as `POST /api/upload` does.
 */
async function describeImage(
  ctx: UploadsContext,
  ref: StoredRef,
  input: { size: number; mime: string; name: string; hash: string; ext: string | null },
): Promise<ImageFacts> {
  const none: ImageFacts = { width: null, height: null, formats: null };
  const { images, config, provider } = ctx;
  if (!images || !RASTER.has(input.mime)) return none;
  const dir = await mkdtemp(join(config.tempDir ?? tmpdir(), 'upload-server-direct-'));
  try {
    const path = join(dir, 'original');
    const source = await readObject(ctx, ref, input.size);
    await pipeline(source, new ByteCounter(input.size), createWriteStream(path));
    const probed = await images.probe(path, input.mime);
    if (!probed) return none;
    let formats: Record<string, FormatEntity> | null = null;
    if (config.images.formats) {
      const made = await images.makeFormats({
        path,
        key: ref.key,
        name: input.name,
        hash: input.hash,
        ext: input.ext,
        mime: input.mime,
        provider,
      });
      formats = Object.keys(made).length > 0 ? made : null;
    }
    return { width: probed.width, height: probed.height, formats };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Direct uploads: `POST /api/upload/direct` checks the declared name, type and size, then returns credentials for
 * one form POST straight to the storage; `POST /api/upload/direct/:uploadId/complete` checks what arrived (exists,
 * size within the declared one, bytes of the declared type) and records the file. Unconfirmed uploads expire and
 * their objects are removed by a sweep (at start-up and every minute).
 */
export const directRoutes: FastifyPluginAsync = async (app) => {
  const ctx = app.uploads;

  let timer: NodeJS.Timeout | undefined;
  app.addHook('onReady', async () => {
    await sweepExpiredDirectUploads(ctx).catch((error) => ctx.log.error({ err: error }, 'direct upload sweep failed'));
    timer = setInterval(() => {
      sweepExpiredDirectUploads(ctx).catch((error) => ctx.log.error({ err: error }, 'direct upload sweep failed'));
    }, SWEEP_INTERVAL_MS);
    timer.unref();
  });
  app.addHook('onClose', async () => {
    if (timer) clearInterval(timer);
  });

  app.post('/api/upload/direct', async (request, reply) => {
    const body = request.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new HttpError(
        400,
        'Send a JSON object: { "name", "mime", "size", "fileInfo"?, "ref"?, "refId"?, "field"? }',
      );
    }
    const input = body as Record<string, unknown>;
    const name = requireString(input.name, 'name');
    const declared = essence(typeof input.mime === 'string' ? input.mime : null);
    if (!declared || declared.includes('*')) {
      throw new HttpError(400, 'mime is required: the exact type of the file, such as "image/png"', {
        errors: [{ path: ['mime'], message: 'mime must be a media type', name: 'ValidationError' }],
      });
    }
    const size = input.size;
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
      throw new HttpError(400, 'size is required: the file size in bytes, a whole number', {
        errors: [{ path: ['size'], message: 'size must be a whole number of bytes', name: 'ValidationError' }],
      });
    }
    const { config, provider } = ctx;
    if (size > config.sizeLimit) {
      throw new HttpError(413, `The file is larger than the size limit of ${config.sizeLimit} bytes`, {
        limit: config.sizeLimit,
      });
    }
    // The declared type against the lists, before any credentials exist; the bytes are checked again at confirm.
    const check = checkMime(declared, declared, { allowed: config.allowedTypes, denied: config.deniedTypes });
    if (!check.ok) throw new HttpError(check.status, check.message, { mime: declared });
    const [info] = parseFileInfo(input.fileInfo === undefined ? undefined : [input.fileInfo], 1);
    const links = parseLinks(ctx, { ref: input.ref, refId: input.refId, field: input.field }, 1);
    const folder = input.path === undefined ? undefined : requireString(input.path, 'path', 512);
    if (
      !provider.capabilities.directUpload ||
      typeof provider.createDirectUpload !== 'function' ||
      typeof provider.stat !== 'function'
    ) {
      throw new HttpError(501, `The ${provider.name} storage does not accept direct uploads: use POST /api/upload`);
    }

    const { slug, ext } = slugifyName(name);
    const prefix = folder ? normalisePrefix(folder) : '';
    const key = buildKey(`${slug}${ext}`, { prefix, random: randomBytes(5).toString('hex') });
    const uploadId = `du_${randomBytes(16).toString('hex')}`;
    const du = await provider.createDirectUpload({
      key,
      mime: declared,
      maxSize: size,
      expiresIn: config.directUploadExpiresIn,
      name,
    });
    await ctx.db
      .insertInto('direct_uploads')
      .values({
        id: uploadId,
        object_key: du.key,
        name,
        mime: declared,
        size,
        file_info: info ? JSON.stringify(info) : null,
        ref: links[0]?.ref ?? null,
        ref_id: links[0]?.refId ?? null,
        field: links[0]?.field ?? null,
        folder_path: prefix ? `/${prefix}` : null,
        provider_metadata: du.providerMetadata ? JSON.stringify(du.providerMetadata) : null,
        status: 'pending',
        expires_at: du.expiresAt.toISOString(),
        created_at: nowIso(),
      })
      .execute();
    reply.code(201);
    return {
      uploadId,
      url: absoluteUrl(du.url, request),
      method: du.method,
      fields: du.fields,
      fileField: du.fileField,
      key: du.key,
      expiresAt: du.expiresAt.toISOString(),
    };
  });

  app.post('/api/upload/direct/:uploadId/complete', async (request, reply) => {
    const { uploadId } = request.params as { uploadId: string };
    const row =
      typeof uploadId === 'string' && UPLOAD_ID.test(uploadId)
        ? await ctx.db.selectFrom('direct_uploads').selectAll().where('id', '=', uploadId).executeTakeFirst()
        : undefined;
    if (!row) throw new HttpError(404, 'No such direct upload');
    if (row.status === 'completed') throw new HttpError(409, 'This direct upload was already completed');
    if (row.status === 'expired' || Date.parse(row.expires_at) + CONFIRM_GRACE_MS < Date.now()) {
      throw new HttpError(410, 'This direct upload expired: ask for new credentials and upload again', {}, 'GoneError');
    }
    // Claim it: of two confirms at once, one records the file.
    const claimed = await ctx.db
      .updateTable('direct_uploads')
      .set({ status: 'completed' })
      .where('id', '=', row.id)
      .where('status', '=', 'pending')
      .executeTakeFirst();
    if (Number(claimed.numUpdatedRows) === 0) throw new HttpError(409, 'This direct upload is being completed');

    const { provider, config } = ctx;
    const ref = refOf(row);
    const release = (status: 'pending' | 'expired') =>
      ctx.db.updateTable('direct_uploads').set({ status }).where('id', '=', row.id).execute();
    const refuse = async (error: HttpError) => {
      // The object is not acceptable: remove it, so nothing unrecorded stays in the storage.
      await provider.delete(ref).catch((e) => ctx.log.error({ err: e }, 'could not remove a refused direct upload'));
      await release('expired');
      throw error;
    };

    let stat: Awaited<ReturnType<NonNullable<typeof provider.stat>>>;
    try {
      stat = provider.stat ? await provider.stat(ref) : null;
    } catch (error) {
      await release('pending');
      throw error;
    }
    if (!stat) {
      await release('pending');
      throw new HttpError(409, 'The file has not been uploaded to the storage yet: POST the form first, then confirm');
    }
    const declaredSize = Number(row.size);
    if (stat.size > declaredSize || stat.size > config.sizeLimit) {
      return refuse(
        new HttpError(413, `The uploaded object is ${stat.size} bytes, more than the ${declaredSize} declared`),
      );
    }

    let mime: string;
    try {
      const sniffed = await sniffStream(
        await readObject(ctx, ref, stat.size, Math.max(0, Math.min(stat.size, SNIFF_BYTES) - 1)),
      );
      sniffed.stream.destroy();
      const check = checkMime(sniffed.mime, row.mime, { allowed: config.allowedTypes, denied: config.deniedTypes });
      if (!check.ok) return refuse(new HttpError(check.status, check.message, { mime: sniffed.mime }));
      if (check.mime !== row.mime) {
        return refuse(
          new HttpError(415, `The uploaded bytes are ${check.mime}, not the declared ${row.mime}`, {
            declared: row.mime,
            detected: check.mime,
          }),
        );
      }
      mime = check.mime;
    } catch (error) {
      if (error instanceof HttpError && error.status !== 502) throw error;
      await release('pending');
      throw error;
    }

    const info = metadataOf(row.file_info) as {
      name?: string | null;
      alternativeText?: string | null;
      caption?: string | null;
    } | null;
    const { slug, ext } = slugifyName(row.name);
    const hash = `${slug}_${randomBytes(5).toString('hex')}`;
    let image: ImageFacts;
    try {
      image = await describeImage(ctx, ref, { size: stat.size, mime, name: row.name, hash, ext: ext || null });
    } catch (error) {
      if (error instanceof ImageError) return refuse(new HttpError(error.status, error.message));
      await release('pending');
      throw error;
    }
    const now = nowIso();
    const file: NewFileRow = {
      document_id: newDocumentId(),
      name: info?.name ?? row.name,
      alternative_text: info?.alternativeText ?? null,
      caption: info?.caption ?? null,
      width: image.width,
      height: image.height,
      formats: image.formats ? JSON.stringify(image.formats) : null,
      hash,
      ext: ext || null,
      mime,
      size: roundKb(stat.size),
      size_in_bytes: stat.size,
      url: provider.url(ref),
      preview_url: null,
      provider: provider.name,
      provider_metadata: row.provider_metadata,
      folder_path: row.folder_path ?? '/',
      object_key: row.object_key,
      secret_hash: null,
      created_at: now,
      updated_at: now,
    };
    const links: NewLink[] =
      row.ref && row.ref_id && row.field ? [{ ref: row.ref, refId: row.ref_id, field: row.field }] : [];
    let inserted: Awaited<ReturnType<typeof ctx.repo.insertFile>>;
    try {
      inserted = await ctx.repo.insertFile(file, links, (l) => config.contentTypes[l.ref]?.[l.field] === 'single');
    } catch (error) {
      await deleteFormats(provider, row.object_key, image.formats).catch(() => undefined);
      await release('pending');
      throw error;
    }
    const linked = links.length > 0 ? await ctx.repo.linksOf([inserted.id]) : undefined;
    reply.code(201);
    return [await toFileEntity(inserted, ctx, linked ? { links: linked.get(inserted.id) ?? [] } : {})];
  });
};
