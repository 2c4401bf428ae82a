import type { ColumnSpec } from './apply.js';

/**
 * The file entity's fields as the Strapi API names them, mapped to the `files` table. Columns a client must never
 * query (the download secret's hash, the storage key) are absent, so filtering or sorting on them is a 400.
 */
export const FILE_QUERY_COLUMNS: Record<string, ColumnSpec> = {
  id: { column: 'id', type: 'integer' },
  documentId: { column: 'document_id', type: 'string' },
  name: { column: 'name', type: 'string' },
  alternativeText: { column: 'alternative_text', type: 'string', nullable: true },
  caption: { column: 'caption', type: 'string', nullable: true },
  width: { column: 'width', type: 'integer', nullable: true },
  height: { column: 'height', type: 'integer', nullable: true },
  formats: { column: 'formats', type: 'json', nullable: true },
  hash: { column: 'hash', type: 'string' },
  ext: { column: 'ext', type: 'string', nullable: true },
  mime: { column: 'mime', type: 'string' },
  size: { column: 'size', type: 'number' },
  url: { column: 'url', type: 'string' },
  previewUrl: { column: 'preview_url', type: 'string', nullable: true },
  provider: { column: 'provider', type: 'string' },
  provider_metadata: { column: 'provider_metadata', type: 'json', nullable: true },
  folderPath: { column: 'folder_path', type: 'string' },
  createdAt: { column: 'created_at', type: 'datetime' },
  updatedAt: { column: 'updated_at', type: 'datetime' },
  // Files have no drafts: an entity's publishedAt is its createdAt.
  publishedAt: { column: 'created_at', type: 'datetime' },
};
