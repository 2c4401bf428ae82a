import { decorateUrls, type SigningDeps } from '../signing/index.js';
import type { FileLinkRow, FileRow } from '../store/schema.js';
import { type FileEntity, parseJsonColumn, storedFormats } from './model.js';

export interface EntityOptions {
  /** Links of this file, for `populate=related`. */
  links?: FileLinkRow[];
  /** When given, only these entity fields are returned (`id` and `documentId` always are). */
  fields?: string[];
}

/** The one serialiser for every response that carries a file. */
export async function toFileEntity(row: FileRow, deps: SigningDeps, options: EntityOptions = {}): Promise<FileEntity> {
  const entity: FileEntity = {
    id: Number(row.id),
    documentId: row.document_id,
    name: row.name,
    alternativeText: row.alternative_text,
    caption: row.caption,
    width: row.width,
    height: row.height,
    formats: storedFormats(row),
    hash: row.hash,
    ext: row.ext,
    mime: row.mime,
    size: Math.round(Number(row.size) * 100) / 100,
    url: row.url,
    previewUrl: row.preview_url,
    provider: row.provider,
    provider_metadata: parseJsonColumn(row.provider_metadata),
    folderPath: row.folder_path,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    publishedAt: row.created_at,
  };
  if (options.links) {
    entity.related = options.links.map((l) => ({
      __type: l.ref,
      id: /^\d+$/.test(l.ref_id) ? Number(l.ref_id) : l.ref_id,
      field: l.field,
    }));
  }
  const decorated = await decorateUrls(entity, deps, row);
  if (!options.fields) return decorated;
  const keep = new Set(['id', 'documentId', ...options.fields, ...(options.links ? ['related'] : [])]);
  if (keep.has('url') || keep.has('formats')) keep.add('isUrlSigned');
  return Object.fromEntries(Object.entries(decorated).filter(([k]) => keep.has(k))) as unknown as FileEntity;
}
