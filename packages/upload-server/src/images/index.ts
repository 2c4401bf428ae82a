import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import sharp, { type FormatEnum, type Metadata, type OutputInfo } from 'sharp';
import {
  isProviderError,
  joinKey,
  normaliseKey,
  ProviderError,
  type StoredRef,
  type UploadProvider,
} from 'upload-provider';
import { type FormatEntity, roundKb } from '../files/model.js';
import { pauseForTest } from '../uploads/test-pause.js';
import { Semaphore } from './semaphore.js';

export type { FormatEntity };

/** An image the server will not process: too many pixels (a decompression bomb) or unreadable pixel data. */
export class ImageError extends Error {
  override readonly name = 'ImageError';
  readonly status: 400 | 422;
  constructor(message: string, options: { status?: 400 | 422; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.status = options.status ?? 422;
  }
}

export interface ImageProcessorOptions {
  /** Responsive formats: name → the longest side in pixels. Made only for images larger than it. */
  breakpoints?: Record<string, number>;
  /** The thumbnail's bounding box, or false for none. Default 245×156, as Strapi. */
  thumbnail?: { width: number; height: number } | false;
  /** The most pixels (width × height of one frame) decoded. Default 100,000,000. */
  pixelLimit?: number;
  /** Images processed at once by this processor. Default 1. */
  concurrency?: number;
}

export interface ImageInfo {
  width: number;
  height: number;
  /** sharp's name for the format: `jpeg`, `png`, `webp`, `gif`, `avif`, `tiff`, `svg`, … */
  format: string;
}

export interface MakeFormatsInput {
  /** The original, already written to a temporary file. It is only read. */
  path: string;
  /** The original's storage key; each format's key is derived from it (see {@link formatKey}). */
  key: string;
  name: string;
  hash: string;
  ext: string | null;
  mime: string;
  provider: UploadProvider;
  signal?: AbortSignal;
}

export interface ImageProcessor {
  /**
   * Width, height and format of an image file, or null when it is not an image sharp reads. With `mime` naming a
   * raster type sharp should read, an unreadable file is an {@link ImageError} instead. Throws {@link ImageError}
   * when the image has more pixels than the limit. Reads the header only.
   */
  probe(path: string, mime?: string): Promise<ImageInfo | null>;
  /**
   * Makes the thumbnail and the breakpoints smaller than the image, uploads each through the provider and describes
   * them. Returns `{}` for SVG and formats sharp cannot write. On any failure (an unreadable or oversized image is an
   * {@link ImageError}) the formats already uploaded are removed before it rejects.
   */
  makeFormats(input: MakeFormatsInput): Promise<Record<string, FormatEntity>>;
}

export const DEFAULT_BREAKPOINTS: Readonly<Record<string, number>> = { large: 1000, medium: 750, small: 500 };
export const DEFAULT_THUMBNAIL = { width: 245, height: 156 } as const;
export const DEFAULT_PIXEL_LIMIT = 100_000_000;

// Formats are written in the original's format; these are the ones sharp can write.
const OUTPUT: Record<string, { format: keyof FormatEnum | 'avif'; mime: string; ext: string }> = {
  jpeg: { format: 'jpeg', mime: 'image/jpeg', ext: '.jpg' },
  png: { format: 'png', mime: 'image/png', ext: '.png' },
  webp: { format: 'webp', mime: 'image/webp', ext: '.webp' },
  gif: { format: 'gif', mime: 'image/gif', ext: '.gif' },
  avif: { format: 'avif', mime: 'image/avif', ext: '.avif' },
  tiff: { format: 'tiff', mime: 'image/tiff', ext: '.tif' },
};

// The raster types sharp decodes: spooled to a temporary file, probed for their size and given formats.
const RASTER_TYPES = new Set(['image/jpeg', 'image/png', 'image/webp', 'image/gif', 'image/avif', 'image/tiff']);

/** Whether `mime` is a raster type this server probes and makes formats of. */
export function isRaster(mime: string): boolean {
  return RASTER_TYPES.has(mime);
}

/** The key of a format of the file stored under `key`: `uploads/cat_1a2b.png` → `uploads/thumbnail_cat_1a2b.png`. */
export function formatKey(key: string, formatName: string): string {
  const normalised = normaliseKey(key);
  const slash = normalised.lastIndexOf('/');
  const dir = slash < 0 ? '' : normalised.slice(0, slash);
  return joinKey(dir, `${formatName}_${normalised.slice(slash + 1)}`);
}

/** Removes the stored formats of the file stored under `key` (idempotent, like the provider's `delete`). */
export async function deleteFormats(
  provider: UploadProvider,
  key: string,
  formats: Record<string, Pick<FormatEntity, 'provider_metadata'>> | null | undefined,
): Promise<void> {
  for (const [name, format] of Object.entries(formats ?? {})) {
    await provider.delete({ key: formatKey(key, name), providerMetadata: format.provider_metadata ?? null });
  }
}

/** sharp's error in one line, for a message a client reads ("vipspng: libpng read error"). */
function reason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0]!.trim() || 'unknown error';
}

function validate(options: ImageProcessorOptions): void {
  const problems: string[] = [];
  const side = (value: unknown) => Number.isInteger(value) && (value as number) >= 1 && (value as number) <= 10_000;
  for (const [name, size] of Object.entries(options.breakpoints ?? {})) {
    if (!/^[a-z0-9-]+$/i.test(name)) problems.push(`breakpoint name "${name}" must be letters, digits or "-"`);
    if (!side(size)) problems.push(`breakpoint "${name}" must be a whole number of pixels from 1 to 10000`);
  }
  if (options.thumbnail && (!side(options.thumbnail.width) || !side(options.thumbnail.height))) {
    problems.push('thumbnail width and height must be whole numbers of pixels from 1 to 10000');
  }
  if (options.pixelLimit !== undefined && !(Number.isInteger(options.pixelLimit) && options.pixelLimit > 0)) {
    problems.push('pixelLimit must be a positive whole number');
  }
  if (options.concurrency !== undefined && !(Number.isInteger(options.concurrency) && options.concurrency >= 1)) {
    problems.push('concurrency must be a whole number of at least 1');
  }
  if (problems.length > 0) throw new TypeError(`invalid image options: ${problems.join('; ')}`);
}

/**
 * Makes image dimensions and responsive formats, bounded: a pixel limit refuses decompression bombs before any
 * pixel is decoded, and a semaphore runs at most `concurrency` images at once. libvips' own thread pool and cache
 * are kept small, since this runs inside a server that also streams uploads.
 */
export function createImageProcessor(options: ImageProcessorOptions = {}): ImageProcessor {
  validate(options);
  const breakpoints = options.breakpoints ?? DEFAULT_BREAKPOINTS;
  const thumbnail = options.thumbnail === undefined ? DEFAULT_THUMBNAIL : options.thumbnail;
  const pixelLimit = options.pixelLimit ?? DEFAULT_PIXEL_LIMIT;
  const semaphore = new Semaphore(options.concurrency ?? 1);
  sharp.concurrency(1);
  sharp.cache(false);

  async function metadata(path: string, mime?: string): Promise<Metadata | null> {
    try {
      // Reading the header decodes no pixels, so no limit is needed here; the limit is checked on the header's size.
      return await sharp(path, { limitInputPixels: false }).metadata();
    } catch (error) {
      if (mime && isRaster(mime)) {
        throw new ImageError(`the file's content is ${mime} but it cannot be read as an image (${reason(error)})`, {
          cause: error,
        });
      }
      return null;
    }
  }

  function checkPixels(meta: Metadata): { width: number; height: number } {
    const width = meta.width ?? 0;
    const height = meta.pageHeight ?? meta.height ?? 0;
    if (width * height > pixelLimit) {
      throw new ImageError(
        `the image is ${width}×${height} pixels, more than this server processes (${pixelLimit} pixels); upload a smaller image`,
      );
    }
    return { width, height };
  }

  async function probe(path: string, mime?: string): Promise<ImageInfo | null> {
    const meta = await metadata(path, mime);
    if (!meta?.format || !meta.width || !meta.height) return null;
    // An SVG's declared size costs nothing here: it is never rasterised (no formats are made from it).
    if (meta.format === 'svg') return { width: meta.width, height: meta.height, format: 'svg' };
    const { width, height } = checkPixels(meta);
    // A camera photo's EXIF orientation swaps the sides a viewer shows.
    const swapped = (meta.orientation ?? 1) >= 5;
    return { width: swapped ? height : width, height: swapped ? width : height, format: meta.format };
  }

  async function makeFormats(input: MakeFormatsInput): Promise<Record<string, FormatEntity>> {
    const release = await semaphore.acquire(input.signal);
    const uploaded: Array<{ name: string; ref: StoredRef }> = [];
    const temporary: string[] = [];
    try {
      const meta = await metadata(input.path, input.mime);
      if (!meta?.format || !meta.width || !meta.height) return {};
      const outputName = meta.format === 'heif' ? (meta.compression === 'av1' ? 'avif' : null) : meta.format;
      const output = outputName ? OUTPUT[outputName] : undefined;
      if (!output) return {}; // SVG (never rasterised here), HEIC, and formats sharp cannot write.
      const { width, height } = checkPixels(meta);
      const pages = meta.pages ?? 1;
      // Every frame of an animation is decoded; past the limit in total, formats show the first frame only.
      const animated = pages > 1 && width * height * pages <= pixelLimit;
      const oriented = (meta.orientation ?? 1) >= 5 ? { width: height, height: width } : { width, height };

      const wanted: Array<{ name: string; width: number; height: number }> = [];
      if (thumbnail && (oriented.width > thumbnail.width || oriented.height > thumbnail.height)) {
        wanted.push({ name: 'thumbnail', width: thumbnail.width, height: thumbnail.height });
      }
      for (const [name, size] of Object.entries(breakpoints)) {
        if (size < oriented.width || size < oriented.height) wanted.push({ name, width: size, height: size });
      }

      const formats: Record<string, FormatEntity> = {};
      for (const format of wanted) {
        input.signal?.throwIfAborted();
        const file = `${input.path}.${format.name}${output.ext}`;
        temporary.push(file);
        let info: OutputInfo;
        try {
          let pipeline = sharp(input.path, { limitInputPixels: pixelLimit, animated, failOn: 'error' });
          if (!animated) pipeline = pipeline.autoOrient();
          info = await pipeline
            .resize({ width: format.width, height: format.height, fit: 'inside', withoutEnlargement: true })
            .toFormat(output.format, output.format === 'avif' ? { effort: 2 } : {})
            .toFile(file);
        } catch (error) {
          throw new ImageError(`the image could not be processed; its pixel data may be damaged (${reason(error)})`, {
            cause: error,
          });
        }
        const key = formatKey(input.key, format.name);
        const stored = await input.provider.upload(
          {
            key,
            body: createReadStream(file),
            size: info.size,
            mime: output.mime,
            name: `${format.name}_${input.name}`,
          },
          input.signal ? { signal: input.signal } : {},
        );
        uploaded.push({ name: format.name, ref: { key, providerMetadata: stored.providerMetadata ?? null } });
        await pauseForTest('during-formats');
        formats[format.name] = {
          name: `${format.name}_${input.name}`,
          hash: `${format.name}_${input.hash}`,
          ext: output.ext,
          mime: output.mime,
          path: null,
          width: info.width,
          height: animated && info.pageHeight ? info.pageHeight : info.height,
          size: roundKb(info.size),
          sizeInBytes: info.size,
          url: stored.url,
          provider_metadata: stored.providerMetadata ?? null,
        };
      }
      return formats;
    } catch (error) {
      // Leave nothing behind: a later format failing removes the earlier ones.
      await Promise.allSettled(uploaded.map(({ ref }) => input.provider.delete(ref)));
      if (error instanceof ImageError || isProviderError(error)) throw error;
      if (input.signal?.aborted)
        throw new ProviderError('ABORTED', 'making image formats was aborted', { cause: error });
      throw new ImageError(`the image could not be processed (${reason(error)})`, { cause: error });
    } finally {
      await Promise.allSettled(temporary.map((file) => rm(file, { force: true })));
      release();
    }
  }

  return { probe, makeFormats };
}
