import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import sharp from 'sharp';
import { form, json } from './helpers/http.js';
import { forEachDatabase, type Harness, startHarness } from './helpers/suite.js';

async function png(width: number, height: number): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: 200, g: 30, b: 90 } } })
    .png()
    .toBuffer();
}

async function post(h: Harness, body: FormData, query = '') {
  const res = await fetch(`${h.url}/api/upload${query}`, { method: 'POST', body });
  return { status: res.status, body: await json(res) };
}

forEachDatabase('images through POST /api/upload', (kind) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(kind, { config: { images: { pixelLimit: 4_000_000 } } });
  });
  afterAll(() => h.server.close());

  test('width, height and Strapi formats (thumbnail + breakpoints below the size), each stored', async () => {
    const original = await png(1200, 800);
    const res = await post(h, form([{ filename: 'Photo.png', content: original, type: 'image/png' }]));
    expect(res.status).toBe(201);
    const [file] = res.body;
    expect(file).toMatchObject({ width: 1200, height: 800, mime: 'image/png', ext: '.png' });
    expect(Object.keys(file.formats).sort()).toEqual(['large', 'medium', 'small', 'thumbnail']);
    expect(file.formats.large).toMatchObject({ width: 1000, height: 667, mime: 'image/png', path: null });
    expect(file.formats.thumbnail.width).toBeLessThanOrEqual(245);
    expect(file.formats.thumbnail.height).toBeLessThanOrEqual(156);
    const objects = await h.objects();
    for (const name of ['large', 'medium', 'small', 'thumbnail']) expect(objects).toContain(`${name}_${file.hash}.png`);
    // The original is stored byte for byte (no re-encoding).
    expect(h.object(`${file.hash}.png`).equals(original)).toBe(true);

    const del = await fetch(`${h.url}/api/upload/files/${file.id}`, { method: 'DELETE' });
    expect(del.status).toBe(200);
    const after = await h.objects();
    expect(after.filter((k) => k.includes(file.hash))).toEqual([]);
  });

  test('a small image gets only the formats smaller than itself', async () => {
    const res = await post(h, form([{ filename: 'small.png', content: await png(600, 300), type: 'image/png' }]));
    expect(res.status).toBe(201);
    expect(Object.keys(res.body[0].formats).sort()).toEqual(['small', 'thumbnail']);
  });

  test('replacing an image removes its old formats', async () => {
    const first = await post(h, form([{ filename: 'r.png', content: await png(800, 800), type: 'image/png' }]));
    const old = first.body[0];
    const replaced = await post(
      h,
      form([{ filename: 'r2.png', content: await png(300, 300), type: 'image/png' }]),
      `?id=${old.id}`,
    );
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ id: old.id, width: 300, height: 300 });
    const objects = await h.objects();
    expect(objects.filter((k) => k.includes(old.hash))).toEqual([]);
    expect(objects).toContain(`thumbnail_${replaced.body.hash}.png`);
  });

  test('an image over the pixel limit is refused with a 4xx before anything is stored', async () => {
    const before = await h.objects();
    const rows = await h.rowCount();
    // 3000 × 3000 = 9 MP, over the 4 MP limit; PNG compresses the flat colour to a few KB.
    const bomb = await png(3000, 3000);
    const res = await post(h, form([{ filename: 'bomb.png', content: bomb, type: 'image/png' }]));
    expect(res.status).toBe(422);
    expect(res.body.error.message).toMatch(/pixel/i);
    expect(await h.objects()).toEqual(before);
    expect(await h.rowCount()).toBe(rows);
  });
});

forEachDatabase('images with formats turned off', (kind) => {
  let h: Harness;
  let temp: string;
  beforeAll(async () => {
    temp = mkdtempSync(join(tmpdir(), 'upload-server-spool-'));
    h = await startHarness(kind, {
      config: { images: { formats: false, pixelLimit: 2_000_000 }, tempDir: temp, sizeLimit: 200_000 },
    });
  });
  afterAll(async () => {
    await h.server.close();
    rmSync(temp, { recursive: true, force: true });
  });

  test('the spooled copy lives in tempDir only while the upload runs', async () => {
    const res = await post(h, form([{ filename: 't.png', content: await png(300, 200), type: 'image/png' }]));
    expect(res.status).toBe(201);
    expect(readdirSync(temp)).toEqual([]);
    const bomb = await post(h, form([{ filename: 'b.png', content: await png(1500, 1500), type: 'image/png' }]));
    expect(bomb.status).toBe(422);
    expect(readdirSync(temp)).toEqual([]);
    // Random pixels do not compress: about 480 KB of PNG, over the 200 KB limit.
    const noise = await sharp(randomBytes(400 * 400 * 3), { raw: { width: 400, height: 400, channels: 3 } })
      .png()
      .toBuffer();
    expect(noise.length).toBeGreaterThan(200_000);
    const before = await h.rowCount();
    const objects = await h.objects();
    const big = await post(h, form([{ filename: 'noise.png', content: noise, type: 'image/png' }]));
    expect(big.status).toBe(413);
    expect(readdirSync(temp)).toEqual([]);
    expect(await h.rowCount()).toBe(before);
    expect(await h.objects()).toEqual(objects);
  });

  test('dimensions are still recorded; no formats are made', async () => {
    const res = await post(h, form([{ filename: 'p.png', content: await png(1200, 900), type: 'image/png' }]));
    expect(res.status).toBe(201);
    expect(res.body[0]).toMatchObject({ width: 1200, height: 900, formats: null });
    expect((await h.objects()).filter((k) => k.includes(res.body[0].hash))).toEqual([`${res.body[0].hash}.png`]);
  });
});
