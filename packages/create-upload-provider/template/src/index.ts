import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import {
  type Capabilities,
  defineProvider,
  httpUrlOption,
  integerOption,
  invalidInput,
  ProviderError,
  toReadable,
  z,
} from 'upload-provider';
import { isMissing, objectPaths, type StoredMeta } from './folder.js';
import { keyPath, signedQuery } from './signing.js';

export const PROVIDER_NAME = '__name__';
const WEEK = 7 * 24 * 3600;

/** What this provider supports; the conformance suite reads it to choose its cases. */
export const CAPABILITIES: Capabilities = {
  read: true,
  rangeRead: true,
  stat: true,
  directUpload: false,
  downloadName: true,
  contentType: true,
  unknownSize: true,
  emptyFiles: true,
};

const options = z.object({
  root: z.string({ error: 'root must be the folder files are stored in' }).min(1, 'root must not be empty'),
  baseUrl: httpUrlOption('baseUrl'),
  secret: z
    .string({ error: 'secret must be a string of at least 32 characters' })
    .min(32, 'secret must be at least 32 characters: it signs URLs'),
  private: z.boolean({ error: 'private must be true or false' }).default(false),
  urlExpiresIn: integerOption('urlExpiresIn', 1, WEEK, 'seconds').default(900),
});

export type __Pascal__ProviderOptions = z.input<typeof options>;

/**
 * The provider: `__camel__Provider({ root, baseUrl, secret })`. It keeps files in a folder that
 * `create__Pascal__Handler` serves; replace each method's body with calls to your storage.
 */
export const __camel__Provider = defineProvider({
  name: PROVIDER_NAME,
  options,
  capabilities: CAPABILITIES,
  limits: { maxExpiresIn: WEEK },
  create(o) {
    const base = o.baseUrl.replace(/\/+$/, '');
    const secret = Buffer.from(o.secret);
    const paths = (key: string) => objectPaths(o.root, key);

    // Keys, types, sizes, ranges and lifetimes arrive checked by upload-provider's guard; only storage is left here.
    return {
      // Replace if your storage decides privacy itself (a private bucket): true when plain URLs must not serve.
      isPrivate: () => o.private,

      // Replace with your storage's public address for a key (no I/O).
      url: (ref) => `${base}/${keyPath(ref.key)}`,

      // Replace with your storage's write: stream `file.body` there and leave nothing behind on failure.
      async upload(file, { signal } = {}) {
        const { file: target, meta, partial } = paths(file.key);
        const tmp = join(partial, randomUUID());
        await mkdir(partial, { recursive: true });
        try {
          await pipeline(toReadable(file.body), createWriteStream(tmp), signal ? { signal } : {});
          const { size } = await stat(tmp);
          const stored: StoredMeta = { mime: file.mime, private: o.private };
          await mkdir(dirname(meta), { recursive: true });
          await writeFile(`${tmp}.json`, JSON.stringify(stored));
          await rename(`${tmp}.json`, meta);
          await mkdir(dirname(target), { recursive: true });
          await rename(tmp, target); // a rename replaces whole: two writes to one key never mix
          return { key: file.key, url: `${base}/${keyPath(file.key)}`, size, mime: file.mime };
        } catch (error) {
          await rm(tmp, { force: true });
          await rm(`${tmp}.json`, { force: true });
          throw error;
        }
      },

      // Replace with your storage's delete; resolve when the object is already gone.
      async delete(ref) {
        const { file, meta } = paths(ref.key);
        await rm(file, { force: true });
        await rm(meta, { force: true });
      },

      // Replace with your storage's own signed URLs if it has them; these are checked by create__Pascal__Handler.
      async signUrl(ref, opts = {}) {
        const expires = Math.floor(Date.now() / 1000) + Math.ceil(opts.expiresIn ?? o.urlExpiresIn);
        const download = opts.downloadName
          ? { name: opts.downloadName, disposition: opts.disposition ?? 'attachment' }
          : undefined;
        const query = signedQuery(secret, ref.key, expires, download);
        return { url: `${base}/${keyPath(ref.key)}?${query}`, expiresAt: new Date(expires * 1000) };
      },

      // Replace with your storage's metadata lookup; null when the object does not exist.
      async stat(ref) {
        const { file, meta } = paths(ref.key);
        try {
          const [info, stored] = await Promise.all([stat(file), readFile(meta, 'utf8')]);
          const { mime } = JSON.parse(stored) as StoredMeta;
          return { key: ref.key, size: info.size, mime, lastModified: info.mtime };
        } catch (error) {
          if (isMissing(error)) return null;
          throw error;
        }
      },

      // Replace with your storage's ranged download.
      async read(ref, range) {
        const { file } = paths(ref.key);
        let size: number;
        try {
          size = (await stat(file)).size;
        } catch (error) {
          if (isMissing(error))
            throw new ProviderError('NOT_FOUND', `no object ${JSON.stringify(ref.key)}`, { provider: PROVIDER_NAME });
          throw error;
        }
        if (!range) return createReadStream(file);
        if (range.start >= size)
          throw invalidInput(PROVIDER_NAME, `range start ${range.start} is past the end (${size} bytes)`);
        return createReadStream(file, { start: range.start, end: Math.min(range.end ?? size - 1, size - 1) });
      },
    };
  },
});

export default __camel__Provider;
export { type __Pascal__HandlerOptions, create__Pascal__Handler } from './handler.js';
