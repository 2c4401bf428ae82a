import type { StoredRef } from 'upload-provider';
import { refOf, storedFormats } from '../files/model.js';
import { formatKey } from '../images/index.js';
import type { Repository } from '../store/repository.js';
import type { FileRow } from '../store/schema.js';

/** One stored object a row references: its original, or one of its formats. */
export interface StoredObject {
  fileId: number;
  /** The format's name (`thumbnail`, `small`…), or `''` for the original. */
  format: string;
  key: string;
  ref: StoredRef;
  /** Bytes, as the row records them. */
  size: number;
  mime: string;
  name: string;
}

/** The original and every format of a row. */
export function objectsOf(row: FileRow): StoredObject[] {
  const fileId = Number(row.id);
  const original: StoredObject = {
    fileId,
    format: '',
    key: row.object_key,
    ref: refOf(row),
    size: Number(row.size_in_bytes),
    mime: row.mime,
    name: row.name,
  };
  const formats = Object.entries(storedFormats(row) ?? {}).map(([format, f]): StoredObject => {
    const key = formatKey(row.object_key, format);
    return {
      fileId,
      format,
      key,
      ref: { key, providerMetadata: f.provider_metadata ?? null },
      size: Number(f.sizeInBytes),
      mime: f.mime,
      name: f.name,
    };
  });
  return [original, ...formats];
}

/** Every row stored by `provider`, a page at a time in id order, so any number of rows fits in memory. */
export async function* rowPages(repo: Repository, provider: string, pageSize = 200): AsyncGenerator<FileRow[]> {
  let after = 0;
  for (;;) {
    const page = await repo.filesOfProvider(provider, after, pageSize);
    if (page.length === 0) return;
    yield page;
    after = Number(page[page.length - 1]!.id);
  }
}
