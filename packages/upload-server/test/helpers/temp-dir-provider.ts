/**
 * A small provider that stores files in a directory, through the real contract (`defineProvider`, `joinKey`,
 * `ByteCounter`, `ProviderError` codes). Used by the image tests until `upload-provider-local` lands; it is a real
 * store on disk, not a mock: tests check what it wrote by reading the directory.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import {
  ByteCounter,
  defineProvider,
  joinKey,
  ProviderError,
  type StoredRef,
  toProviderError,
  toReadable,
  type UploadProvider,
  z,
} from 'upload-provider';

export const tempDirProvider = defineProvider({
  name: 'temp-dir',
  options: z.object({ root: z.string().min(1), baseUrl: z.string().default('/uploads') }),
  create({ root, baseUrl }): UploadProvider {
    const pathOf = (ref: StoredRef) => join(root, joinKey('', ref.key));
    const url = (ref: StoredRef) => `${baseUrl}/${joinKey('', ref.key)}`;
    return {
      name: 'temp-dir',
      capabilities: {
        read: false,
        rangeRead: false,
        stat: true,
        directUpload: false,
        downloadName: false,
        contentType: false,
        unknownSize: true,
      },
      async upload(file, opts) {
        const path = pathOf(file);
        await mkdir(dirname(path), { recursive: true });
        const counter = new ByteCounter(file.size ?? Number.POSITIVE_INFINITY, 'temp-dir');
        try {
          await pipeline(toReadable(file.body), counter, createWriteStream(path), { signal: opts?.signal });
        } catch (error) {
          await rm(path, { force: true });
          throw toProviderError(error, 'INTERNAL', 'writing the file failed', { provider: 'temp-dir' });
        }
        if (file.size !== undefined && counter.bytes !== file.size) {
          await rm(path, { force: true });
          throw new ProviderError('INTEGRITY', `got ${counter.bytes} bytes, ${file.size} declared`);
        }
        return {
          key: joinKey('', file.key),
          url: url(file),
          size: counter.bytes,
          mime: file.mime,
          providerMetadata: null,
        };
      },
      async delete(ref) {
        await rm(pathOf(ref), { force: true });
      },
      isPrivate: () => false,
      url,
      async signUrl(ref) {
        return { url: url(ref), expiresAt: new Date(Date.now() + 900_000) };
      },
      async stat(ref) {
        const info = await stat(pathOf(ref)).catch(() => null);
        return info ? { key: ref.key, size: info.size } : null;
      },
    };
  },
});
