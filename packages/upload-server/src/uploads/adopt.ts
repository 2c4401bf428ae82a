import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream } from 'node:stream/web';
import { ByteCounter, type StoredRef, type UploadProvider } from 'upload-provider';
import { HttpError } from '../errors.js';
import { isRaster } from '../images/index.js';
import { inspect, isTooLarge, tooLarge } from './inspect.js';
import { compensator, pendingFormats } from './pending.js';
import { type ImageFacts, makeFormats, NO_IMAGE, probeImage, type Spooled, spool } from './spool.js';
import { folderOf, newSecret } from './stage.js';
import type { AdoptInput, StagedFile, UploadsDeps } from './types.js';

/** Reads a stored object back: through the provider, or, when the storage serves the bytes, a short signed URL. */
export async function readObject(provider: UploadProvider, ref: StoredRef, size?: number): Promise<Readable> {
  if (size === 0) return Readable.from([]);
  if (provider.capabilities.read && typeof provider.read === 'function') return provider.read(ref);
  const { url } = await provider.signUrl(ref, { expiresIn: 60 });
  const res = await fetch(url);
  if (!res.ok || !res.body) throw new HttpError(502, 'The storage did not serve the uploaded object');
  return Readable.fromWeb(res.body as ReadableStream);
}

/**
 * An object already in the storage (a confirmed direct upload) into the pipeline: read back, inspected like any
 * upload, and for raster images spooled, probed and given formats. No row. On failure the formats made are
 * removed, and the object too unless `keepOnFailure`.
 */
export function createAdopt(deps: UploadsDeps): (input: AdoptInput) => Promise<StagedFile> {
  const { config, provider, images, repo } = deps;
  const limit = config.sizeLimit;
  const compensate = compensator(deps);

  return async (input) => {
    const { signal } = input;
    const ref: StoredRef = { key: input.key, providerMetadata: input.providerMetadata ?? null };
    const formats: StoredRef[] = [];
    const pending: string[] = [];
    let spooled: Spooled | undefined;
    let source: Readable | undefined;
    const counter = new ByteCounter(limit);
    try {
      if (input.size !== undefined && input.size > limit) throw tooLarge(limit);
      source = await readObject(provider, ref, input.size);
      const file = await inspect(source, input, { allowed: config.allowedTypes, denied: config.deniedTypes });
      const { mime, ext, name } = file;
      // The key the storage holds names the file: its last segment without the extension is the hash.
      const base = input.key.split('/').pop() ?? input.key;
      const dot = base.lastIndexOf('.');
      const hash = dot > 0 ? base.slice(0, dot) : base || file.slug;
      let image: ImageFacts = NO_IMAGE;
      let bytes = input.size;
      const raster = images !== null && isRaster(mime);
      // The object is pending from here until a row owns it, unless the caller keeps it (and journals it itself).
      const entries = [
        ...(input.keepOnFailure ? [] : [{ key: input.key, providerMetadata: ref.providerMetadata ?? null }]),
        ...(raster ? pendingFormats(config.images, input.key) : []),
      ];
      await repo.journal.record(entries);
      pending.push(...entries.map((e) => e.key));
      if (raster) {
        spooled = await spool(file.stream, counter, { tempDir: config.tempDir, signal });
        bytes = spooled.bytes;
        image = await probeImage(images, spooled, mime);
        if (image.width !== null && config.images.formats) {
          const formatInput = { key: input.key, name, hash, ext, mime, provider, signal };
          image = { ...image, formats: await makeFormats(images, spooled, formatInput, formats) };
        }
      } else if (bytes === undefined) {
        const sink = new Writable({ write: (_c, _e, done) => done() });
        await pipeline(file.stream, counter, sink, signal ? { signal } : {});
        bytes = counter.bytes;
      } else {
        // The type is known from the head; the size came from `stat`.
        file.stream.destroy();
      }
      if (bytes > limit) throw tooLarge(limit);
      return {
        key: input.key,
        filename: name,
        hash,
        ext,
        mime,
        bytes,
        ...image,
        stored: { key: input.key, url: provider.url(ref), size: bytes, mime, providerMetadata: ref.providerMetadata },
        folderPath: folderOf(input.folderPath).folderPath,
        ...newSecret(input.withSecret),
        // A kept object stays the caller's to decide on, even when the commit fails.
        objects: input.keepOnFailure ? formats : [ref, ...formats],
        pending,
      };
    } catch (error) {
      source?.destroy();
      await compensate([...formats, ...(input.keepOnFailure ? [] : [ref])], pending);
      if (error instanceof HttpError) throw error;
      if (isTooLarge(error, counter, limit)) throw tooLarge(limit);
      throw error;
    } finally {
      await spooled?.remove();
    }
  };
}
