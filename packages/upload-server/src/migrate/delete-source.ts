import type { StoredRef, UploadProvider } from 'upload-provider';
import type { Repository } from '../store/repository.js';
import { objectsOf, rowPages } from './objects.js';

/** The refs of every object the rows of `source` reference, read before `--switch` rewrites them. */
export async function sourceRefs(repo: Repository, source: string): Promise<StoredRef[]> {
  const refs: StoredRef[] = [];
  for await (const rows of rowPages(repo, source)) for (const o of rows.flatMap(objectsOf)) refs.push(o.ref);
  return refs;
}

/** Deletes `refs` from `source`, `concurrency` at a time; resolves how many went and what failed. */
export async function deleteSources(
  source: UploadProvider,
  refs: StoredRef[],
  concurrency: number,
): Promise<{ deleted: number; failed: Array<{ key: string; error: string }> }> {
  let next = 0;
  let deleted = 0;
  const failed: Array<{ key: string; error: string }> = [];
  const worker = async () => {
    while (next < refs.length) {
      const ref = refs[next++]!;
      try {
        await source.delete(ref);
        deleted++;
      } catch (error) {
        failed.push({ key: ref.key, error: (error as Error).message });
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { deleted, failed };
}
