// A provider module loaded by path (`provider: { name: '<this file>' }`), for CLI tests that start the built server
// in a child process. It stores objects in `options.root`.
import { createWriteStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { defineProvider, joinKey, ProviderError, toReadable, z } from 'upload-provider';

export default defineProvider({
  name: 'fixture-disk',
  options: z.object({ root: z.string().min(1) }).strict(),
  create({ root }) {
    return {
      name: 'fixture-disk',
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
        try {
          await pipeline(toReadable(file.body), createWriteStream(path), opts?.signal ? { signal: opts.signal } : {});
        } catch (cause) {
          await rm(path, { force: true });
          throw new ProviderError('INTERNAL', 'upload failed', { cause });
        }
        return { key, url: `http://files.test/${key}`, size: (await stat(path)).size, mime: file.mime };
      },
      async delete(ref) {
        await rm(join(root, joinKey('', ref.key)), { force: true });
      },
      isPrivate: () => false,
      url: (ref) => `http://files.test/${ref.key}`,
      async signUrl(ref) {
        return { url: `http://files.test/${ref.key}`, expiresAt: new Date(Date.now() + 60_000) };
      },
    };
  },
});
