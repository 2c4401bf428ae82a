import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import sharp from 'sharp';
import { form, json } from './helpers/http.js';
import { startServer, type TestServer } from './helpers/server.js';
import { forEachDatabase } from './helpers/suite.js';

// The default set-up: no provider configured, so the real local provider stores files under <dataDir>/uploads and
// this server serves them at /uploads through the provider's own handler.
forEachDatabase('with the default local provider', (kind) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startServer({ kind });
  });
  afterAll(() => s.close());

  test('an upload is served back byte for byte at its relative /uploads URL, then gone after DELETE', async () => {
    const bytes = new Uint8Array(300_000).map((_, i) => (i * 31) % 256);
    const up = await fetch(`${s.url}/api/upload`, {
      method: 'POST',
      body: form([{ filename: 'data.bin', content: bytes }]),
    });
    expect(up.status).toBe(201);
    const [file] = await json(up);
    expect(file).toMatchObject({ provider: 'local', size: 300, mime: 'application/octet-stream' });
    expect(file.url).toBe(`/uploads/${file.hash}.bin`);
    expect(existsSync(join(s.dir, 'uploads', `${file.hash}.bin`))).toBe(true);
    const got = await fetch(`${s.url}${file.url}`);
    expect(got.status).toBe(200);
    expect(Buffer.from(await got.arrayBuffer()).equals(Buffer.from(bytes))).toBe(true);
    const del = await fetch(`${s.url}/api/upload/files/${file.id}`, { method: 'DELETE' });
    expect(del.status).toBe(200);
    expect((await fetch(`${s.url}${file.url}`)).status).toBe(404);
  });

  test('image formats are stored and served by the local provider too', async () => {
    const png = await sharp({ create: { width: 800, height: 600, channels: 3, background: '#3366cc' } })
      .png()
      .toBuffer();
    const up = await fetch(`${s.url}/api/upload`, {
      method: 'POST',
      body: form([{ filename: 'blue.png', content: png, type: 'image/png' }]),
    });
    const [file] = await json(up);
    expect(Object.keys(file.formats).sort()).toEqual(['medium', 'small', 'thumbnail']);
    const thumb = await fetch(`${s.url}${file.formats.thumbnail.url}`);
    expect(thumb.status).toBe(200);
    expect(thumb.headers.get('content-type')).toBe('image/png');
    expect((await sharp(Buffer.from(await thumb.arrayBuffer())).metadata()).width).toBe(file.formats.thumbnail.width);
  });

  test('SVG and HTML are never served inline from this origin', async () => {
    const up = await fetch(`${s.url}/api/upload`, {
      method: 'POST',
      body: form([
        {
          filename: 'x.svg',
          content: '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
          type: 'image/svg+xml',
        },
        { filename: 'y.html', content: '<!doctype html><html><body>hi</body></html>', type: 'text/html' },
      ]),
    });
    const files = await json(up);
    expect(files.map((f: { mime: string }) => f.mime)).toEqual(['image/svg+xml', 'text/html']);
    for (const f of files) {
      const res = await fetch(`${s.url}${f.url}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-disposition')).toMatch(/^attachment/);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    }
  });

  test('a path under /uploads that holds no file is a 404', async () => {
    expect((await fetch(`${s.url}/uploads/nothing-here.txt`)).status).toBe(404);
  });
});
