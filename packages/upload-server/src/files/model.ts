import type { StoredRef } from 'upload-provider';
import type { FileRow } from '../store/schema.js';

/** One responsive format of an image, as Strapi describes it in a file's `formats`. */
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

/** Strapi reports sizes in kilobytes of 1000 bytes, rounded to two decimals. */
export function roundKb(bytes: number): number {
  return Math.round((bytes / 1000) * 100) / 100;
}

/** A JSON text column, parsed; null when empty or unreadable (a damaged column never fails a request). */
export function parseJsonColumn<T = Record<string, unknown>>(text: string | null | undefined): T | null {
  if (text === null || text === undefined || text === '') return null;
  try {
    return JSON.parse(text) as T;
  } catch {
    return null;
  }
}

/** The `formats` column, parsed. Each format's object key is `formatKey(row.object_key, name)`. */
export function storedFormats(row: Pick<FileRow, 'formats'>): Record<string, FormatEntity> | null {
  return parseJsonColumn<Record<string, FormatEntity>>(row.formats);
}

/** The reference of a row's original object (a file or a direct upload). */
export function refOf(row: { object_key: string; provider_metadata: string | null }): StoredRef {
  return { key: row.object_key, providerMetadata: parseJsonColumn(row.provider_metadata) };
}
