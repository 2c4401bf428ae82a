import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { joinKey, ProviderError, toReadable, type UploadProvider } from 'upload-provider';

/**
 * A minimal provider writing to a folder, for server tests that must see exactly which objects exist (no row or
 * object may be left behind). It follows the contract: a failed or aborted upload removes its partial file.
 */
export function diskProvider(
  root: string,
  options: { failUploadsAfter?: number } = {},
): UploadProvider & {
  list(): Promise<string[]>;
} {
  let uploads = 0;
  return {
    name: 'test-disk',
    capabilities: {
      read: false,
      rangeRead: false,
      stat: false,
      directUpload: false,
      downloadName: false,
      contentType: false,
      unknownSize: true,
    },
    async upload(file, opts) {
      const key = joinKey('', file.key);
      const path = join(root, key);
      await mkdir(dirname(path), { recursive: true });
      uploads += 1;
      if (options.failUploadsAfter !== undefined && uploads > options.failUploadsAfter) {
        toReadable(file.body).resume();
        throw new ProviderError('UNAVAILABLE', 'the test provider refuses this upload', { provider: 'test-disk' });
      }
      try {
        await pipeline(toReadable(file.body), createWriteStream(path), opts?.signal ? { signal: opts.signal } : {});
      } catch (cause) {
        await rm(path, { force: true });
        throw new ProviderError(opts?.signal?.aborted ? 'ABORTED' : 'INTERNAL', 'upload failed', { cause });
      }
      const { size } = await stat(path);
      return { key, url: `http://files.test/${key}`, size, mime: file.mime };
    },
    async delete(ref) {
      await rm(join(root, joinKey('', ref.key)), { force: true });
    },
    isPrivate: () => false,
    url: (ref) => `http://files.test/${ref.key}`,
    async signUrl(ref) {
      return { url: `http://files.test/${ref.key}?signed=1`, expiresAt: new Date(Date.now() + 60_000) };
    },
    async list() {
      const out: string[] = [];
      const walk = async (dir: string): Promise<void> => {
        let entries: import('node:fs').Dirent[];
        try {
          entries = await readdir(dir, { withFileTypes: true });
        } catch {
          return;
        }
        for (const e of entries) {
          const p = join(dir, e.name);
          if (e.isDirectory()) await walk(p);
          else out.push(relative(root, p));
        }
      };
      await walk(root);
      return out.sort();
    },
  };
}
