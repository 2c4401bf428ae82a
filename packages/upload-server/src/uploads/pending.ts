import type { StoredRef } from 'upload-provider';
import type { UploadServerConfig } from '../config/schema.js';
import { refOf, storedFormats } from '../files/model.js';
import { formatKey } from '../images/index.js';
import type { NewPendingObject } from '../store/journal.js';
import type { FileRow } from '../store/schema.js';
import type { UploadsDeps } from './types.js';

/**
 * The journal entries of the formats the original stored under `key` may get: every format this config makes,
 * recorded before any is stored (one write per upload; the ones never made cost the sweep a no-op delete).
 */
export function pendingFormats(images: UploadServerConfig['images'], key: string): NewPendingObject[] {
  if (!images.formats) return [];
  const names = [...(images.thumbnail ? ['thumbnail'] : []), ...Object.keys(images.breakpoints)];
  return names.map((format) => ({ key: formatKey(key, format), fileKey: key, format }));
}

/** A row's objects (its original and the formats it lists) as journal entries. */
export function pendingOfRow(row: FileRow): NewPendingObject[] {
  return [
    { key: row.object_key, providerMetadata: refOf(row).providerMetadata ?? null },
    ...Object.entries(storedFormats(row) ?? {}).map(([format, f]) => ({
      key: formatKey(row.object_key, format),
      fileKey: row.object_key,
      format,
      providerMetadata: f.provider_metadata ?? null,
    })),
  ];
}

export function refsOf(entries: NewPendingObject[]): StoredRef[] {
  return entries.map((e) => ({ key: e.key, providerMetadata: e.providerMetadata ?? null }));
}

/**
 * Compensation: removes `refs`, then clears the `pending` keys, except those whose delete failed: those stay in the
 * journal, no longer held, for the orphan sweep. Never throws (the caller is already undoing).
 */
export function compensator(deps: Pick<UploadsDeps, 'provider' | 'repo' | 'log'>) {
  return async (refs: StoredRef[], pending: string[]): Promise<void> => {
    const failed = new Set<string>();
    await Promise.all(
      refs.map(async (ref) => {
        try {
          await deps.provider.delete(ref);
        } catch (error) {
          failed.add(ref.key);
          deps.log.error({ err: error, key: ref.key }, 'could not remove a stored object; the orphan sweep retries');
        }
      }),
    );
    deps.repo.journal.release([...failed]);
    await deps.repo.journal.clear(pending.filter((key) => !failed.has(key))).catch((error: unknown) => {
      deps.log.error({ err: error }, 'could not clear the upload journal; the orphan sweep will');
    });
  };
}
