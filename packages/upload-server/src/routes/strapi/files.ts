import type { FastifyInstance } from 'fastify';
import type { UploadsContext } from '../../context.js';
import { HttpError } from '../../errors.js';
import { toFileEntity } from '../../files/entity.js';
import type { FileEntity } from '../../files/model.js';
import { type ListQuery, parseListQuery } from '../../query/index.js';
import type { FileRow } from '../../store/schema.js';
import { DELETE_SCHEMA, FILE_SCHEMA, LIST_SCHEMA, PAGE_SCHEMA } from './schemas.js';

/** Whether `populate` asks for the file's links (`populate=related`, `populate=*`, `populate[related]=…`). */
function wantsRelated(populate: unknown): boolean {
  if (populate === undefined || populate === null || populate === '' || populate === false) return false;
  if (typeof populate === 'string') return populate.split(',').some((p) => ['related', '*', 'true'].includes(p.trim()));
  if (Array.isArray(populate)) return populate.some(wantsRelated);
  if (typeof populate === 'object') {
    const related = (populate as Record<string, unknown>).related ?? (populate as Record<string, unknown>)['*'];
    return related !== undefined && related !== false && related !== 'false';
  }
  return populate === true;
}

function parseFileId(value: unknown): number {
  if (typeof value !== 'string' || !/^[1-9]\d{0,15}$/.test(value)) throw new HttpError(404, 'file.notFound');
  return Number(value);
}

async function serialise(
  ctx: UploadsContext,
  rows: FileRow[],
  populate: unknown,
  listQuery?: ListQuery,
): Promise<FileEntity[]> {
  const links = wantsRelated(populate) ? await ctx.repo.linksOf(rows.map((r) => Number(r.id))) : undefined;
  return Promise.all(
    rows.map((row) =>
      toFileEntity(row, ctx, {
        ...(links ? { links: links.get(Number(row.id)) ?? [] } : {}),
        ...(listQuery?.fields ? { fields: listQuery.fields } : {}),
      }),
    ),
  );
}

async function list(ctx: UploadsContext, query: Record<string, unknown>, paginate: boolean) {
  const listQuery = parseListQuery(query);
  const { maxPageSize, defaultPageSize } = ctx.config.pagination;
  const { rows, pagination } = await ctx.repo.listFiles(listQuery, { maxPageSize, defaultPageSize, paginate });
  const data = await serialise(ctx, rows, query.populate, listQuery);
  return { data, pagination };
}

export function registerFileRoutes(app: FastifyInstance): void {
  app.get('/api/upload/files', { schema: LIST_SCHEMA }, async (request) => {
    const { data } = await list(app.uploads, request.query as Record<string, unknown>, false);
    return data;
  });

  app.get('/api/upload/files/page', { schema: PAGE_SCHEMA }, async (request) => {
    const query = request.query as Record<string, unknown>;
    const { data, pagination } = await list(app.uploads, query, true);
    return { data, meta: { pagination } };
  });

  app.get('/api/upload/files/:id', { schema: FILE_SCHEMA }, async (request) => {
    const ctx = app.uploads;
    const id = parseFileId((request.params as { id?: string }).id);
    const row = await ctx.repo.findFile(id);
    if (!row) throw new HttpError(404, 'file.notFound');
    const [entity] = await serialise(ctx, [row], (request.query as Record<string, unknown>).populate);
    return entity;
  });

  app.delete('/api/upload/files/:id', { schema: DELETE_SCHEMA }, async (request) => {
    const ctx = app.uploads;
    const id = parseFileId((request.params as { id?: string }).id);
    const row = await ctx.repo.findFile(id);
    if (!row) throw new HttpError(404, 'file.notFound');
    const [entity] = await serialise(ctx, [row], (request.query as Record<string, unknown>).populate);
    if (!(await ctx.uploads.remove(row))) throw new HttpError(404, 'file.notFound');
    return entity;
  });
}
