import type { UploadsContext } from '../../context.js';
import { decorateUrls } from '../../signing/index.js';
import type { FileLinkRow, FileRow } from '../../store/schema.js';

/** One responsive format of an image, as Strapi describes it. */
export interface FormatEntity {
  name: string;
  hash: string;
  ext: string | null;
  mime: string;
  path: string | null;
  width: number;
  height: number;
  /** KB, two decimals. */
  size: number;
  sizeInBytes: number;
  url: string;
  provider_metadata?: Record<string, unknown> | null;
  isUrlSigned?: boolean;
}

/** A file as Strapi v5's upload API returns it. */
export interface FileEntity {
  id: number;
  documentId: string;
  name: string;
  alternativeText: string | null;
  caption: string | null;
  width: number | null;
  height: number | null;
  formats: Record<string, FormatEntity> | null;
  hash: string;
  ext: string | null;
  mime: string;
  size: number;
  url: string;
  previewUrl: string | null;
  provider: string;
  provider_metadata: Record<string, unknown> | null;
  folderPath: string;
  createdAt: string;
  updatedAt: string;
  publishedAt: string;
  isUrlSigned?: boolean;
  related?: Array<{ __type: string; id: string | number; field: string }>;
}

/** Entity fields a client may filter, sort and select on, and their columns. */
export const ENTITY_COLUMNS: Record<string, string> = {
  id: 'id',
  documentId: 'document_id',
  name: 'name',
  alternativeText: 'alternative_text',
  caption: 'caption',
  width: 'width',
  height: 'height',
  hash: 'hash',
  ext: 'ext',
  mime: 'mime',
  size: 'size',
  url: 'url',
  previewUrl: 'preview_url',
  provider: 'provider',
  folderPath: 'folder_path',
  createdAt: 'created_at',
  updatedAt: 'updated_at',
};

/** Strapi reports sizes in kilobytes of 1000 bytes, rounded to two decimals. */
export function roundKb(bytes: number): number {
  return Math.round((bytes / 1000) * 100) / 100;
}

function parseJson<T>(text: string | null): T | null {
  if (text === null || text === undefined) return null;
  try {
    return JSON.parse(text) as T;
  } catch {
    return null;
  }
}

/** The `formats` column, parsed. Each format's object key is `formatKey(row.object_key, name)`. */
export function storedFormats(row: Pick<FileRow, 'formats'>): Record<string, FormatEntity> | null {
  return parseJson<Record<string, FormatEntity>>(row.formats);
}

export interface EntityOptions {
  /** Links of this file, for `populate=related`. */
  links?: FileLinkRow[];
  /** When given, only these entity fields are returned (`id` and `documentId` always are). */
  fields?: string[];
}

/** The one serialiser for every response that carries a file. */
export async function toFileEntity(
  row: FileRow,
  ctx: UploadsContext,
  options: EntityOptions = {},
): Promise<FileEntity> {
  const formats = storedFormats(row);
  const entity: FileEntity = {
    id: Number(row.id),
    documentId: row.document_id,
    name: row.name,
    alternativeText: row.alternative_text,
    caption: row.caption,
    width: row.width,
    height: row.height,
    formats,
    hash: row.hash,
    ext: row.ext,
    mime: row.mime,
    size: Math.round(Number(row.size) * 100) / 100,
    url: row.url,
    previewUrl: row.preview_url,
    provider: row.provider,
    provider_metadata: parseJson<Record<string, unknown>>(row.provider_metadata),
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
  const decorated = await decorateUrls(entity, ctx, row);
  if (!options.fields) return decorated;
  const keep = new Set(['id', 'documentId', ...options.fields, ...(options.links ? ['related'] : [])]);
  if (keep.has('url') || keep.has('formats')) keep.add('isUrlSigned');
  return Object.fromEntries(Object.entries(decorated).filter(([k]) => keep.has(k))) as unknown as FileEntity;
}
