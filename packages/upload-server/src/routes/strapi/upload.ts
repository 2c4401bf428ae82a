import type { FastifyInstance } from 'fastify';
import { essence } from '../../content/index.js';
import type { UploadsContext } from '../../context.js';
import { HttpError } from '../../errors.js';
import { toFileEntity } from '../../files/entity.js';
import { sanitiseName } from '../../files/names.js';
import {
  type FormFields,
  firstField,
  isMultipart,
  parseFileInfo,
  parseLinks,
  readUploadForm,
} from '../../http/form.js';
import { clientAbortSignal, parseIdParam } from '../../http/request.js';
import { nowIso } from '../../store/repository.js';
import type { FileEntityRow, FileRow } from '../../store/schema.js';
import type { StagedFile } from '../../uploads/index.js';
import { UPLOAD_SCHEMA } from './schemas.js';

async function updateFileInfo(ctx: UploadsContext, id: number, rawInfo: unknown[] | undefined) {
  const row = await ctx.repo.findFile(id);
  if (!row) throw new HttpError(404, 'file.notFound');
  const [info] = parseFileInfo(rawInfo, 1);
  if (!info) throw new HttpError(400, "Files are empty: send files, or fileInfo to update the file's information");
  const updated = await ctx.repo.updateFile(id, {
    ...(info.name !== undefined && info.name !== null ? { name: sanitiseName(info.name, row.name) } : {}),
    ...(info.alternativeText !== undefined ? { alternative_text: info.alternativeText } : {}),
    ...(info.caption !== undefined ? { caption: info.caption } : {}),
    updated_at: nowIso(),
  });
  if (!updated) throw new HttpError(404, 'file.notFound');
  return toFileEntity(updated, ctx);
}

function fieldValues(fields: FormFields) {
  return {
    ref: firstField(fields, 'ref'),
    refId: firstField(fields, 'refId'),
    field: firstField(fields, 'field'),
  };
}

export function registerUploadRoute(app: FastifyInstance): void {
  app.post('/api/upload', { schema: UPLOAD_SCHEMA }, async (request, reply) => {
    const ctx = app.uploads;
    const query = request.query as Record<string, unknown>;
    const id = parseIdParam(query.id);
    if (id !== undefined && !(await ctx.repo.findFile(id))) throw new HttpError(404, 'file.notFound');

    if (!isMultipart(request)) {
      const type = essence(request.headers['content-type']);
      if (type !== null && type !== 'application/json') {
        throw new HttpError(
          415,
          `Unsupported Content-Type ${type}: send files as multipart/form-data, or JSON for fileInfo`,
        );
      }
      // A JSON (or empty) body can only update a file's information.
      const body = (request.body ?? {}) as Record<string, unknown>;
      if (id === undefined) throw new HttpError(400, 'Files are empty');
      return updateFileInfo(ctx, id, body.fileInfo === undefined ? undefined : [body.fileInfo]);
    }

    const signal = clientAbortSignal(request, reply);
    const { fields, staged } = await readUploadForm(request, ctx, {
      signal,
      ...(id !== undefined ? { maxFiles: 1 } : {}),
    });

    if (staged.length === 0) {
      if (id === undefined) throw new HttpError(400, 'Files are empty');
      return updateFileInfo(ctx, id, fields.get('fileInfo'));
    }

    let infos: ReturnType<typeof parseFileInfo>;
    let links: ReturnType<typeof parseLinks>;
    try {
      infos = parseFileInfo(fields.get('fileInfo'), staged.length);
      links = id === undefined ? parseLinks(ctx.config.contentTypes, fieldValues(fields), staged.length) : [];
      if (signal.aborted) throw new HttpError(499, 'The upload was aborted by the client');
    } catch (error) {
      await Promise.all(staged.map((s) => ctx.uploads.discard(s)));
      throw error;
    }

    if (id !== undefined) {
      const row = await ctx.uploads.commit(staged[0]!, { replaceId: id, ...(infos[0] ? { fileInfo: infos[0] } : {}) });
      return toFileEntity(row, ctx);
    }

    const rows = await commitAll(ctx, staged, infos, links);
    const linksOf = links.length > 0 ? await ctx.repo.linksOf(rows.map((r) => r.id)) : undefined;
    const entities = await Promise.all(
      rows.map((row) => toFileEntity(row, ctx, linksOf ? { links: linksOf.get(row.id) ?? [] } : {})),
    );
    reply.code(201);
    return entities;
  });
}

/** Writes the rows in upload order; when one fails, the ones written are removed again with their objects. */
async function commitAll(
  ctx: UploadsContext,
  staged: StagedFile[],
  infos: ReturnType<typeof parseFileInfo>,
  links: ReturnType<typeof parseLinks>,
): Promise<FileEntityRow[]> {
  const rows: FileRow[] = [];
  for (let i = 0; i < staged.length; i++) {
    try {
      const info = infos[i];
      rows.push(await ctx.uploads.commit(staged[i]!, { ...(info ? { fileInfo: info } : {}), links }));
    } catch (error) {
      await Promise.all(staged.slice(i + 1).map((s) => ctx.uploads.discard(s)));
      for (const row of rows) await ctx.uploads.remove(row);
      throw error;
    }
  }
  return rows;
}
