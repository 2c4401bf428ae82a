// A deliberately broken provider module (loaded by path), for the migrate tests: it stores every object in
// `options.root` with its first byte changed, reports the size it was given, and reads back what it stored, as a store
// that corrupts data silently would. `upload-server migrate` must catch it by reading the copy back.
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { defineProvider, joinKey, ProviderError, toReadable, z } from 'upload-provider';

export default defineProvider({
  name: 'corrupting-disk',
  options: z.object({ root: z.string().min(1) }).strict(),
  create({ root }) {
    const pathOf = (key) => join(root, joinKey('', key));
    return {
      name: 'corrupting-disk',
      capabilities: {
        read: true,
        rangeRead: false,
        stat: true,
        directUpload: false,
        downloadName: false,
        contentType: false,
        unknownSize: true,
      },
      async upload(file) {
        const path = pathOf(file.key);
        await mkdir(dirname(path), { recursive: true });
        let first = true;
        const flip = new Transform({
          transform(chunk, _encoding, done) {
            if (first && chunk.length > 0) {
              chunk = Buffer.from(chunk);
              chunk[0] ^= 0xff;
              first = false;
            }
            done(null, chunk);
          },
        });
        await pipeline(toReadable(file.body), flip, createWriteStream(path));
        return { key: file.key, url: `http://files.test/${file.key}`, size: (await stat(path)).size, mime: file.mime };
      },
      async delete(ref) {
        await rm(pathOf(ref.key), { force: true });
      },
      async stat(ref) {
        const info = await stat(pathOf(ref.key)).catch(() => null);
        return info ? { key: ref.key, size: info.size } : null;
      },
      async read(ref) {
        const info = await stat(pathOf(ref.key)).catch(() => null);
        if (!info) throw new ProviderError('NOT_FOUND', `${ref.key} is missing`);
        return createReadStream(pathOf(ref.key));
      },
      isPrivate: () => false,
      url: (ref) => `http://files.test/${ref.key}`,
      async signUrl(ref) {
        return { url: `http://files.test/${ref.key}`, expiresAt: new Date(Date.now() + 60_000) };
      },
    };
  },
});
