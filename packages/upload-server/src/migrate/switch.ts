import type { UploadProvider } from 'upload-provider';
import { storedFormats } from '../files/model.js';
import type { ObjectMigrations, ObjectProgress } from '../store/object-migrations.js';
import type { Repository } from '../store/repository.js';
import type { FileRow } from '../store/schema.js';
import { objectsOf, rowPages } from './objects.js';

/** `--switch` before every object is copied: how many are left. */
export class NotCopiedError extends Error {
  override readonly name = 'NotCopiedError';
  constructor(readonly left: number) {
    super(`${left} object${left === 1 ? '' : 's'} not copied yet`);
  }
}

/** The row as it reads once its objects are served by `target`. */
function switched(row: FileRow, target: UploadProvider, done: Map<string, ObjectProgress>) {
  const [original, ...formats] = objectsOf(row);
  const copy = done.get(original!.key)!;
  const key = copy.storedKey ?? original!.key;
  const stored = storedFormats(row);
  for (const f of formats) {
    const c = done.get(f.key)!;
    const ref = { key: c.storedKey ?? f.key, providerMetadata: c.storedMetadata };
    stored![f.format] = { ...stored![f.format]!, url: target.url(ref), provider_metadata: c.storedMetadata };
  }
  return {
    provider: target.name,
    object_key: key,
    url: target.url({ key, providerMetadata: copy.storedMetadata }),
    provider_metadata: copy.storedMetadata ? JSON.stringify(copy.storedMetadata) : null,
    formats: stored ? JSON.stringify(stored) : null,
  };
}

/** `--switch` found rows it had not planned (the server stored files meanwhile): nothing was changed. */
export class RowsChangedError extends Error {
  override readonly name = 'RowsChangedError';
}

/**
 * Points every row of `source` at its copy on `target` (provider, object key, URL, provider metadata, and each
 * format's URL and metadata) in one transaction, after checking that every object is copied. Resolves the number of
 * rows switched; rejects with {@link NotCopiedError} (changing nothing) when any object is not, and with
 * {@link RowsChangedError} when rows of `source` appeared after the check.
 */
export async function switchRows(
  repo: Repository,
  progress: ObjectMigrations,
  source: string,
  target: UploadProvider,
): Promise<number> {
  // Checked and computed first: the progress table is read outside the transaction (SQLite has one connection).
  let left = 0;
  const updates = new Map<number, ReturnType<typeof switched>>();
  for await (const page of rowPages(repo, source)) {
    const objects = page.flatMap(objectsOf);
    const known = await progress.progressOf(objects.map((o) => o.key));
    const missing = objects.filter((o) => known.get(o.key)?.status !== 'done').length;
    left += missing;
    if (missing === 0) for (const row of page) updates.set(Number(row.id), switched(row, target, known));
  }
  if (left > 0) throw new NotCopiedError(left);
  return repo.transaction(async (tx) => {
    let rows = 0;
    for await (const page of rowPages(tx, source)) {
      for (const row of page) {
        const patch = updates.get(Number(row.id));
        if (!patch) throw new RowsChangedError(`file ${row.id} was stored after the copy: run migrate again`);
        await tx.updateFile(Number(row.id), patch);
        rows++;
      }
    }
    return rows;
  });
}
