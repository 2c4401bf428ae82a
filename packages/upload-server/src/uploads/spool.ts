import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ByteCounter, StoredRef } from 'upload-provider';
import type { FormatEntity } from '../files/model.js';
import { formatKey, type ImageProcessor, type MakeFormatsInput } from '../images/index.js';

/** A body written to a temporary file: bounded memory, a known size, and a file sharp can probe. */
export interface Spooled {
  path: string;
  bytes: number;
  /** Removes the temporary folder (idempotent). */
  remove(): Promise<void>;
}

/** Folders this server spools into start with this, under `tempDir` (or the system's temporary folder). */
export const SPOOL_PREFIX = 'upload-server-';

/** The spool folders of this process's uploads in flight: the orphan sweep leaves them alone. */
export const spoolsInUse = new Set<string>();

/** Streams `source` through `counter` (which enforces the size limit) into a fresh temporary file. */
export async function spool(
  source: Readable,
  counter: ByteCounter,
  options: { tempDir?: string | undefined; signal?: AbortSignal | undefined },
): Promise<Spooled> {
  const dir = await mkdtemp(join(options.tempDir ?? tmpdir(), SPOOL_PREFIX));
  spoolsInUse.add(dir);
  const spooled: Spooled = {
    path: join(dir, 'original'),
    bytes: 0,
    remove: async () => {
      await rm(dir, { recursive: true, force: true });
      spoolsInUse.delete(dir);
    },
  };
  try {
    const sink = createWriteStream(spooled.path, { highWaterMark: 1024 * 1024 });
    await pipeline(source, counter, sink, options.signal ? { signal: options.signal } : {});
    spooled.bytes = counter.bytes;
    return spooled;
  } catch (error) {
    await spooled.remove();
    throw error;
  }
}

export interface ImageFacts {
  width: number | null;
  height: number | null;
  formats: Record<string, FormatEntity> | null;
}

export const NO_IMAGE: ImageFacts = { width: null, height: null, formats: null };

/** The raster path, step one: dimensions from the header (a decompression bomb is an ImageError). */
export async function probeImage(images: ImageProcessor, spooled: Spooled, mime: string): Promise<ImageFacts> {
  const probed = await images.probe(spooled.path, mime);
  return probed ? { width: probed.width, height: probed.height, formats: null } : NO_IMAGE;
}

/**
 * The raster path, step two: the responsive formats of a probed image, uploaded next to the original stored under
 * `key`. Each format stored is pushed onto `objects` (for compensation).
 */
export async function makeFormats(
  images: ImageProcessor,
  spooled: Spooled,
  input: Omit<MakeFormatsInput, 'path' | 'signal'> & { signal?: AbortSignal | undefined },
  objects: StoredRef[],
): Promise<Record<string, FormatEntity> | null> {
  const { signal, ...rest } = input;
  const made = await images.makeFormats({ ...rest, path: spooled.path, ...(signal ? { signal } : {}) });
  for (const [formatName, f] of Object.entries(made)) {
    objects.push({ key: formatKey(input.key, formatName), providerMetadata: f.provider_metadata ?? null });
  }
  return Object.keys(made).length > 0 ? made : null;
}
