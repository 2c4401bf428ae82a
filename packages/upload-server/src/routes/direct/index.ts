import { randomBytes } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import { buildKey, slugifyName } from 'upload-provider';
import { checkMime, essence } from '../../content/index.js';
import { HttpError } from '../../errors.js';
import { toFileEntity } from '../../files/entity.js';
import { parseJsonColumn, refOf } from '../../files/model.js';
import { checkName } from '../../files/names.js';
import { parseFileInfo, parseLinks } from '../../http/form.js';
import { absoluteUrl } from '../../http/request.js';
import { ImageError } from '../../images/index.js';
import { type NewLink, nowIso } from '../../store/repository.js';
import { type FileInfo, folderOf, type StagedFile, tooLarge } from '../../uploads/index.js';
import { CONFIRM_GRACE_MS } from '../../uploads/sweep.js';
import { COMPLETE_SCHEMA, REQUEST_SCHEMA } from './schemas.js';

const UPLOAD_ID = /^du_[0-9a-f]{32}$/;

function requireString(value: unknown, name: string, max = 255): string {
  if (typeof value !== 'string' || value.trim() === '' || value.length > max) {
    throw new HttpError(400, `${name} is required: a non-empty string of at most ${max} characters`, {
      errors: [{ path: [name], message: `${name} must be a non-empty string`, name: 'ValidationError' }],
    });
  }
  return value;
}

/**
 * Direct uploads: `POST /api/upload/direct` checks the declared name, type and size, then returns credentials for
 * one form POST straight to the storage; `POST /api/upload/direct/:uploadId/complete` checks what arrived (exists,
 * size within the declared one, bytes of the declared type) and records the file. Unconfirmed uploads expire and
 * their objects are removed by a sweep (at start-up and every minute).
 */
export const directRoutes: FastifyPluginAsync = async (app) => {
  const ctx = app.uploads;

  app.post('/api/upload/direct', { schema: REQUEST_SCHEMA }, async (request, reply) => {
    const body = request.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new HttpError(
        400,
        'Send a JSON object: { "name", "mime", "size", "fileInfo"?, "ref"?, "refId"?, "field"? }',
      );
    }
    const input = body as Record<string, unknown>;
    const name = requireString(input.name, 'name');
    checkName(name, 'name');
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
    if (size > config.sizeLimit) throw tooLarge(config.sizeLimit);
    // The declared type against the lists, before any credentials exist; the bytes are checked again at confirm.
    const check = checkMime(declared, declared, { allowed: config.allowedTypes, denied: config.deniedTypes });
    if (!check.ok) throw new HttpError(check.status, check.message, { mime: declared });
    const [info] = parseFileInfo(input.fileInfo === undefined ? undefined : [input.fileInfo], 1);
    const links = parseLinks(config.contentTypes, { ref: input.ref, refId: input.refId, field: input.field }, 1);
    const folder = input.path === undefined ? undefined : requireString(input.path, 'path', 512);
    if (
      !provider.capabilities.directUpload ||
      typeof provider.createDirectUpload !== 'function' ||
      typeof provider.stat !== 'function'
    ) {
      throw new HttpError(501, `The ${provider.name} storage does not accept direct uploads: use POST /api/upload`);
    }

    const { slug, ext } = slugifyName(name);
    const { prefix, folderPath } = folderOf(folder);
    const key = buildKey(`${slug}${ext}`, { prefix, random: randomBytes(5).toString('hex') });
    const uploadId = `du_${randomBytes(16).toString('hex')}`;
    const du = await provider.createDirectUpload({
      key,
      mime: declared,
      maxSize: size,
      expiresIn: config.directUploadExpiresIn,
      name,
    });
    await ctx.repo.directUploads.insertPending({
      id: uploadId,
      object_key: du.key,
      name,
      mime: declared,
      size,
      file_info: info ? JSON.stringify(info) : null,
      ref: links[0]?.ref ?? null,
      ref_id: links[0]?.refId ?? null,
      field: links[0]?.field ?? null,
      folder_path: prefix ? folderPath : null,
      provider_metadata: du.providerMetadata ? JSON.stringify(du.providerMetadata) : null,
      expires_at: du.expiresAt.toISOString(),
      created_at: nowIso(),
    });
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

  // claim → stat → size policy → adopt (type, dimensions, formats) → commit. A refused object is deleted and the
  // upload expires; a failure that is not the object's fault releases the claim, so the client can confirm again.
  app.post('/api/upload/direct/:uploadId/complete', { schema: COMPLETE_SCHEMA }, async (request, reply) => {
    const { uploadId } = request.params as { uploadId: string };
    const { directUploads } = ctx.repo;
    const row =
      typeof uploadId === 'string' && UPLOAD_ID.test(uploadId) ? await directUploads.find(uploadId) : undefined;
    if (!row) throw new HttpError(404, 'No such direct upload');
    if (row.status === 'completed') throw new HttpError(409, 'This direct upload was already completed');
    if (row.status === 'expired' || Date.parse(row.expires_at) + CONFIRM_GRACE_MS < Date.now()) {
      throw new HttpError(410, 'This direct upload expired: ask for new credentials and upload again', {}, 'GoneError');
    }
    const { provider, config, uploads } = ctx;
    const ref = refOf(row);
    const pending = [{ key: row.object_key, providerMetadata: ref.providerMetadata ?? null }];
    // Of two confirms at once, one records the file. Claimed, the object is pending in the journal (in the same
    // transaction) until its row is written or it goes back to the upload: a kill in between leaves it to the sweep.
    const claimed = await ctx.repo.transaction(async (tx) => {
      if (!(await tx.directUploads.claim(row.id, 'pending', 'completed'))) return false;
      await tx.journal.record(pending);
      return true;
    });
    if (!claimed) throw new HttpError(409, 'This direct upload is being completed');
    const settle = () =>
      ctx.repo.journal.clear([row.object_key]).catch((error: unknown) => {
        ctx.log.error({ err: error }, 'could not clear the upload journal; the orphan sweep will');
      });
    const release = () =>
      ctx.repo.transaction(async (tx) => {
        await tx.directUploads.claim(row.id, 'completed', 'pending');
        await tx.journal.clear([row.object_key]);
      });
    const refuse = async (error: unknown): Promise<never> => {
      // The object is not acceptable: remove it, so nothing unrecorded stays in the storage.
      const removed = await provider.delete(ref).then(
        () => true,
        (e: unknown) => {
          ctx.log.error({ err: e }, 'could not remove a refused direct upload; the orphan sweep retries');
          ctx.repo.journal.release([row.object_key]);
          return false;
        },
      );
      await directUploads.claim(row.id, 'completed', 'expired');
      if (removed) await settle();
      throw error;
    };
    const isRefusal = (error: unknown) =>
      error instanceof ImageError || (error instanceof HttpError && error.status < 500 && error.status !== 499);

    let stat: Awaited<ReturnType<NonNullable<typeof provider.stat>>> | undefined;
    try {
      stat = await provider.stat?.(ref);
    } catch (error) {
      await release();
      throw error;
    }
    if (!stat) {
      await release();
      throw new HttpError(409, 'The file has not been uploaded to the storage yet: POST the form first, then confirm');
    }
    const declaredSize = Number(row.size);
    if (stat.size > config.sizeLimit) return refuse(tooLarge(config.sizeLimit));
    if (stat.size > declaredSize) {
      return refuse(
        new HttpError(413, `The uploaded object is ${stat.size} bytes, more than the ${declaredSize} declared`),
      );
    }
    let staged: StagedFile;
    try {
      staged = await uploads.adopt({
        key: row.object_key,
        providerMetadata: ref.providerMetadata,
        filename: row.name,
        claimedMime: row.mime,
        requireMime: row.mime,
        size: stat.size,
        ...(row.folder_path ? { folderPath: row.folder_path } : {}),
        keepOnFailure: true,
      });
    } catch (error) {
      if (isRefusal(error)) return refuse(error);
      await release();
      throw error;
    }

    const info = parseJsonColumn<FileInfo>(row.file_info);
    const links: NewLink[] =
      row.ref && row.ref_id && row.field ? [{ ref: row.ref, refId: row.ref_id, field: row.field }] : [];
    let inserted: Awaited<ReturnType<typeof uploads.commit>>;
    try {
      inserted = await uploads.commit(staged, { ...(info ? { fileInfo: info } : {}), links });
    } catch (error) {
      await release();
      throw error;
    }
    await settle();
    const linked = links.length > 0 ? await ctx.repo.linksOf([inserted.id]) : undefined;
    reply.code(201);
    return [await toFileEntity(inserted, ctx, linked ? { links: linked.get(inserted.id) ?? [] } : {})];
  });
};
