import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import { afterAll, beforeEach, describe, expect, test } from '@jest/globals';
import sharp from 'sharp';
import { isProviderError, type UploadProvider } from 'upload-provider';
import { localProvider } from 'upload-provider-local';
import { createImageProcessor, deleteFormats, formatKey, ImageError } from '../src/images/index.js';
import { Semaphore } from '../src/images/semaphore.js';

const root = mkdtempSync(join(tmpdir(), 'images-test-'));
const work = join(root, 'tmp');
const storeDir = join(root, 'store');
let provider: UploadProvider;

beforeEach(() => {
  rmSync(storeDir, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  provider = localProvider({ root: storeDir });
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Every object the provider holds, relative to its root (its own bookkeeping folder left out). */
function stored(): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    let entries: import('node:fs').Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else files.push(relative(storeDir, path));
    }
  };
  walk(storeDir);
  return files.filter((file) => !file.startsWith('.upload-provider-local/')).sort();
}

/** Temporary files the processor left next to the original (there must be none). */
function leftovers(original: string): string[] {
  return readdirSync(work).filter((name) => name !== original.split('/').pop());
}

function write(name: string, bytes: Buffer): string {
  const path = join(work, name);
  writeFileSync(path, bytes);
  return path;
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

function solid(width: number, height: number) {
  return sharp({ create: { width, height, channels: 3, background: { r: 10, g: 120, b: 200 } } });
}

/** An animation of `frames` frames of width × height, in `format`. */
async function animation(format: 'gif' | 'webp', width: number, height: number, frames: number): Promise<Buffer> {
  const pages = await Promise.all(
    Array.from({ length: frames }, (_, i) =>
      sharp({ create: { width, height, channels: 3, background: { r: i * 80, g: 50, b: 255 - i * 80 } } })
        .png()
        .toBuffer(),
    ),
  );
  return sharp(pages, { join: { animated: true } })
    .toFormat(format)
    .toBuffer();
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/**
 * A decompression bomb built by hand: a PNG whose header declares width × height pixels, with a few rows of zeroes
 * as its (truncated) data. A few hundred bytes on disk; decoding it would need width × height × 3 bytes.
 */
function pngBomb(width: number, height: number): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // RGB
  const rows = deflateSync(Buffer.alloc((width * 3 + 1) * 4));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', rows),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function input(
  path: string,
  key: string,
  mime: string,
  extra: Partial<Parameters<ReturnType<typeof createImageProcessor>['makeFormats']>[0]> = {},
) {
  return { path, key, name: key.split('/').pop()!, hash: 'h4sh', ext: '.x', mime, provider, ...extra };
}

describe('probe', () => {
  const images = createImageProcessor();

  test.each([
    ['png', () => solid(640, 480).png().toBuffer(), { width: 640, height: 480, format: 'png' }],
    ['jpeg', () => solid(300, 200).jpeg().toBuffer(), { width: 300, height: 200, format: 'jpeg' }],
    ['webp', () => solid(50, 70).webp().toBuffer(), { width: 50, height: 70, format: 'webp' }],
    ['avif', () => solid(64, 32).avif().toBuffer(), { width: 64, height: 32, format: 'heif' }],
    ['animated gif (one frame)', () => animation('gif', 40, 30, 3), { width: 40, height: 30, format: 'gif' }],
  ])('%s', async (_label, make, expected) => {
    expect(await images.probe(write('probe.bin', await make()))).toEqual(expected);
  });

  test('a JPEG rotated by its EXIF orientation reports the sides a viewer shows', async () => {
    const bytes = await solid(600, 400).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    expect(await images.probe(write('rotated.jpg', bytes))).toEqual({ width: 400, height: 600, format: 'jpeg' });
  });

  test('an SVG reports its declared size, even a huge one, since it is never rasterised', async () => {
    const svg =
      '<svg xmlns="http://www.w3.org/2000/svg" width="120000" height="90000"><rect width="10" height="10"/></svg>';
    expect(await images.probe(write('big.svg', Buffer.from(svg)))).toEqual({
      width: 120000,
      height: 90000,
      format: 'svg',
    });
  });

  test('not an image: null', async () => {
    expect(await images.probe(write('notes.txt', Buffer.from('just some text')))).toBeNull();
    expect(await images.probe(write('empty.bin', Buffer.alloc(0)))).toBeNull();
  });

  test('bytes claiming to be PNG that sharp cannot read: ImageError 422 when the type says PNG, null otherwise', async () => {
    const path = write(
      'broken.png',
      Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 13, 10, 26, 10]), Buffer.alloc(40, 7)]),
    );
    expect(await images.probe(path)).toBeNull();
    await expect(images.probe(path, 'image/png')).rejects.toMatchObject({ name: 'ImageError', status: 422 });
  });

  test('a decompression bomb is refused from its header alone', async () => {
    const path = write('bomb.png', pngBomb(30_000, 30_000));
    expect(readFileSync(path).length).toBeLessThan(2000);
    const error = await images.probe(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImageError);
    expect(error).toMatchObject({ status: 422 });
    expect((error as Error).message).toBe(
      'the image is 30000×30000 pixels, more than this server processes (100000000 pixels); upload a smaller image',
    );
  });
});

describe('makeFormats', () => {
  test('a large JPEG gets a thumbnail and every breakpoint, stored under keys derived from the original', async () => {
    const images = createImageProcessor();
    const bytes = await solid(1200, 800).jpeg().toBuffer();
    const path = write('photo.jpg', bytes);
    const formats = await images.makeFormats(input(path, 'photos/cat_1a2b.jpg', 'image/jpeg', { name: 'cat.jpg' }));

    expect(Object.keys(formats)).toEqual(['thumbnail', 'large', 'medium', 'small']);
    expect(stored()).toEqual([
      'photos/large_cat_1a2b.jpg',
      'photos/medium_cat_1a2b.jpg',
      'photos/small_cat_1a2b.jpg',
      'photos/thumbnail_cat_1a2b.jpg',
    ]);
    const dims = Object.fromEntries(Object.entries(formats).map(([name, f]) => [name, [f.width, f.height]]));
    expect(dims).toEqual({ thumbnail: [234, 156], large: [1000, 667], medium: [750, 500], small: [500, 333] });
    for (const [name, format] of Object.entries(formats)) {
      const file = readFileSync(join(storeDir, formatKey('photos/cat_1a2b.jpg', name)));
      expect(format).toEqual({
        name: `${name}_cat.jpg`,
        hash: `${name}_h4sh`,
        ext: '.jpg',
        mime: 'image/jpeg',
        path: null,
        width: format.width,
        height: format.height,
        size: Math.round((file.length / 1000) * 100) / 100,
        sizeInBytes: file.length,
        url: `/uploads/${formatKey('photos/cat_1a2b.jpg', name)}`,
        provider_metadata: null,
      });
      expect(await sharp(file).metadata()).toMatchObject({
        format: 'jpeg',
        width: format.width,
        height: format.height,
      });
    }
    // The original is only read, never re-encoded, and no temporary file is left.
    expect(sha256(readFileSync(path))).toBe(sha256(bytes));
    expect(leftovers(path)).toEqual([]);
  });

  test('only the formats smaller than the image are made; small images get none', async () => {
    const images = createImageProcessor();
    const medium = await images.makeFormats(
      input(write('a.png', await solid(600, 400).png().toBuffer()), 'a.png', 'image/png'),
    );
    expect(Object.keys(medium)).toEqual(['thumbnail', 'small']);
    expect(medium.small).toMatchObject({ width: 500, height: 333, mime: 'image/png', ext: '.png' });
    const tiny = await images.makeFormats(
      input(write('b.png', await solid(200, 100).png().toBuffer()), 'b.png', 'image/png'),
    );
    expect(tiny).toEqual({});
    expect(stored()).toEqual(['small_a.png', 'thumbnail_a.png']);
  });

  test('custom breakpoints and no thumbnail', async () => {
    const images = createImageProcessor({ breakpoints: { xl: 1500, mid: 300 }, thumbnail: false });
    const formats = await images.makeFormats(
      input(write('c.webp', await solid(800, 800).webp().toBuffer()), 'c.webp', 'image/webp'),
    );
    expect(Object.keys(formats)).toEqual(['mid']);
    expect(formats.mid).toMatchObject({ width: 300, height: 300, mime: 'image/webp' });
  });

  test('an EXIF-rotated JPEG gets upright formats', async () => {
    const images = createImageProcessor();
    const bytes = await solid(600, 400).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    const formats = await images.makeFormats(input(write('r.jpg', bytes), 'r.jpg', 'image/jpeg'));
    expect(formats.thumbnail).toMatchObject({ width: 104, height: 156 });
    expect(formats.small).toMatchObject({ width: 333, height: 500 });
  });

  test.each(['gif', 'webp'] as const)('an animated %s keeps every frame in its formats', async (format) => {
    const images = createImageProcessor();
    const bytes = await animation(format, 600, 400, 3);
    const formats = await images.makeFormats(
      input(write(`anim.${format}`, bytes), `anim.${format}`, `image/${format}`),
    );
    expect(Object.keys(formats)).toEqual(['thumbnail', 'small']);
    expect(formats.small).toMatchObject({ width: 500, height: 333, mime: `image/${format}` });
    const small = await sharp(readFileSync(join(storeDir, `small_anim.${format}`)), { animated: true }).metadata();
    expect(small).toMatchObject({ format, pages: 3, width: 500, pageHeight: 333 });
  });

  test('an animation with more pixels in all than the limit gets formats of its first frame only', async () => {
    const images = createImageProcessor({ pixelLimit: 600 * 400 * 2 });
    const bytes = await animation('gif', 600, 400, 3);
    const formats = await images.makeFormats(input(write('long.gif', bytes), 'long.gif', 'image/gif'));
    const small = await sharp(readFileSync(join(storeDir, 'small_long.gif'))).metadata();
    expect(formats.small).toMatchObject({ width: 500, height: 333 });
    expect(small.pages ?? 1).toBe(1);
  });

  test('SVG gets no formats (it is never rasterised)', async () => {
    const images = createImageProcessor();
    const svg =
      '<svg xmlns="http://www.w3.org/2000/svg" width="2000" height="2000"><circle r="900" cx="1000" cy="1000"/></svg>';
    expect(await images.makeFormats(input(write('logo.svg', Buffer.from(svg)), 'logo.svg', 'image/svg+xml'))).toEqual(
      {},
    );
    expect(stored()).toEqual([]);
  });

  test('a decompression bomb is an ImageError 422, stores nothing, and the processor keeps working', async () => {
    const images = createImageProcessor();
    const bomb = write('bomb.png', pngBomb(50_000, 40_000));
    const error = await images.makeFormats(input(bomb, 'bomb.png', 'image/png')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImageError);
    expect(error).toMatchObject({ status: 422 });
    expect(stored()).toEqual([]);
    expect(leftovers(bomb)).toEqual([]);
    const after = await images.makeFormats(
      input(write('ok.png', await solid(300, 300).png().toBuffer()), 'ok.png', 'image/png'),
    );
    expect(Object.keys(after)).toEqual(['thumbnail']);
  });

  test('a configured pixel limit refuses an honestly large image too', async () => {
    const images = createImageProcessor({ pixelLimit: 1_000_000 });
    const path = write('big.png', await solid(2000, 2000).png().toBuffer());
    await expect(images.makeFormats(input(path, 'big.png', 'image/png'))).rejects.toMatchObject({ status: 422 });
    expect(stored()).toEqual([]);
  });

  test('a truncated image is an ImageError and leaves no format behind', async () => {
    const images = createImageProcessor();
    const png = await solid(1200, 900).png().toBuffer();
    const path = write('cut.png', png.subarray(0, Math.floor(png.length / 2)));
    const error = await images.makeFormats(input(path, 'cut.png', 'image/png')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImageError);
    expect((error as Error).message).toMatch(
      /^the image could not be processed; its pixel data may be damaged \(.+\)$/,
    );
    expect(stored()).toEqual([]);
    expect(leftovers(path)).toEqual([]);
  });

  test('when a later format fails, the formats already uploaded are removed', async () => {
    // The second format's key is over the contract's 1024-byte limit, so the provider refuses it after the first
    // format was stored: a real failure through the real contract.
    const images = createImageProcessor({ thumbnail: false, breakpoints: { a: 500, [`b${'x'.repeat(40)}`]: 300 } });
    // Segments stay under the file system's 255-byte name limit; the whole key is 1014 bytes.
    const key = `${Array(4).fill('d'.repeat(200)).join('/')}/${'f'.repeat(1014 - 804 - 4)}.png`;
    const path = write('fail.png', await solid(800, 600).png().toBuffer());
    const storedKeys: string[] = [];
    // Records each upload that succeeded; every call goes to the real provider.
    const recording: UploadProvider = {
      ...provider,
      upload: async (file, opts) => {
        const result = await provider.upload(file, opts);
        storedKeys.push(result.key);
        return result;
      },
    };
    const error = await images
      .makeFormats({ ...input(path, key, 'image/png'), provider: recording })
      .catch((e: unknown) => e);
    expect(isProviderError(error, 'INVALID_INPUT')).toBe(true);
    expect(storedKeys).toEqual([formatKey(key, 'a')]);
    expect(stored()).toEqual([]);
    expect(leftovers(path)).toEqual([]);
  });

  test('an aborted signal stops it before anything is stored', async () => {
    const images = createImageProcessor();
    const path = write('abort.png', await solid(800, 600).png().toBuffer());
    const controller = new AbortController();
    controller.abort();
    await expect(
      images.makeFormats(input(path, 'abort.png', 'image/png', { signal: controller.signal })),
    ).rejects.toThrow();
    expect(stored()).toEqual([]);
  });

  test('deleteFormats removes every stored format', async () => {
    const images = createImageProcessor();
    const formats = await images.makeFormats(
      input(write('d.jpg', await solid(1200, 800).jpeg().toBuffer()), 'x/d.jpg', 'image/jpeg'),
    );
    expect(stored()).toHaveLength(4);
    await deleteFormats(provider, 'x/d.jpg', formats);
    expect(stored()).toEqual([]);
    for (const name of Object.keys(formats))
      expect(await provider.stat?.({ key: formatKey('x/d.jpg', name) })).toBeNull();
    // Deleting again is fine: the provider's delete is idempotent.
    await deleteFormats(provider, 'x/d.jpg', formats);
  });

  test('with concurrency 1, images are processed one after another', async () => {
    const images = createImageProcessor();
    const order: string[] = [];
    // Records the order of uploads; every call goes to the real provider.
    const recording: UploadProvider = {
      ...provider,
      upload: async (file, opts) => {
        order.push(file.key.split('_').slice(1).join('_'));
        return provider.upload(file, opts);
      },
    };
    const paths = await Promise.all(
      ['one', 'two', 'three'].map(async (name) => write(`${name}.jpg`, await solid(1100, 900).jpeg().toBuffer())),
    );
    await Promise.all(
      paths.map((path, i) =>
        images.makeFormats({ ...input(path, `${['one', 'two', 'three'][i]}.jpg`, 'image/jpeg'), provider: recording }),
      ),
    );
    // Each image's four formats come together: no image started before the previous one finished.
    expect(order).toEqual([...Array(4).fill('one.jpg'), ...Array(4).fill('two.jpg'), ...Array(4).fill('three.jpg')]);
  });

  test('invalid options are refused, each problem named', () => {
    expect(() => createImageProcessor({ breakpoints: { 'bad name': 0 }, pixelLimit: -1, concurrency: 0 })).toThrow(
      'invalid image options: breakpoint name "bad name" must be letters, digits or "-"; breakpoint "bad name" must be a whole number of pixels from 1 to 10000; pixelLimit must be a positive whole number; concurrency must be a whole number of at least 1',
    );
  });
});

describe('Semaphore', () => {
  test('grants up to its limit, then first come first served', async () => {
    const semaphore = new Semaphore(2);
    const a = await semaphore.acquire();
    const b = await semaphore.acquire();
    const granted: string[] = [];
    const c = semaphore.acquire().then((release) => {
      granted.push('c');
      return release;
    });
    const d = semaphore.acquire().then((release) => {
      granted.push('d');
      return release;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(granted).toEqual([]);
    expect(semaphore.running).toBe(2);
    a();
    (await c)();
    b();
    (await d)();
    expect(granted).toEqual(['c', 'd']);
    expect(semaphore.running).toBe(0);
  });

  test('a waiter whose signal fires leaves the queue', async () => {
    const semaphore = new Semaphore(1);
    const release = await semaphore.acquire();
    const controller = new AbortController();
    const waiting = semaphore.acquire(controller.signal);
    controller.abort(new Error('gone'));
    await expect(waiting).rejects.toThrow('gone');
    release();
    expect(semaphore.running).toBe(0);
  });
});
