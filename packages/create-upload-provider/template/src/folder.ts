// Where the generated provider keeps things in its folder; replaced, with the folder, by your storage.
import { join, resolve } from 'node:path';

/** What is kept beside each object: the type to serve it with, and whether it needs a signed URL. */
export interface StoredMeta {
  mime: string;
  private: boolean;
}

/** Where an object and its metadata live under `root`. Keys arrive normalised (no `..`, no leading `/`). */
export function objectPaths(root: string, key: string) {
  const base = resolve(root);
  return { file: join(base, 'objects', key), meta: join(base, 'meta', `${key}.json`), partial: join(base, 'partial') };
}

/** True for the error a file system gives for a file that is not there. */
export const isMissing = (error: unknown) => (error as NodeJS.ErrnoException)?.code === 'ENOENT';
