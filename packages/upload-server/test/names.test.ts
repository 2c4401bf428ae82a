import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { json, rawMultipart } from './helpers/http.js';
import { forEachDatabase, type Harness, startHarness } from './helpers/suite.js';

// Control characters (C0, DEL, C1) and bidirectional controls hide or reorder what a name shows: refused, named.
const UNSAFE: Array<[string, string]> = [
  ['\u0000', 'U+0000'],
  ['\u0007', 'U+0007'],
  ['\t', 'U+0009'],
  ['\u001f', 'U+001F'],
  ['\u007f', 'U+007F'],
  ['\u0085', 'U+0085'],
  ['\u009b', 'U+009B'],
  ['\u061c', 'U+061C'],
  ['\u200f', 'U+200F'],
  ['\u202e', 'U+202E'],
  ['\u2066', 'U+2066'],
  ['\u2069', 'U+2069'],
];

async function expectNameRefused(res: Response, code: string) {
  const body = await json(res);
  expect({ status: res.status, name: body.error?.name }).toEqual({ status: 400, name: 'ValidationError' });
  expect(body.error.message).toContain(code);
}

forEachDatabase('file names with control or bidi characters', (kind) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(kind, { config: { fromUrl: { allow: ['127.0.0.1/32'] } } });
  });
  afterAll(() => h.server.close());

  const post = (path: string, body: RequestInit['body'], headers: Record<string, string> = {}) =>
    fetch(`${h.url}${path}`, { method: 'POST', body, headers });
  const multipart = (path: string, parts: Parameters<typeof rawMultipart>[0]) => {
    const { body, contentType } = rawMultipart(parts);
    return post(path, body, { 'content-type': contentType });
  };

  test('a multipart filename on POST /api/upload: each character is refused and named, nothing is stored', async () => {
    for (const [char, code] of UNSAFE) {
      const res = await multipart('/api/upload', [
        { name: 'files', filename: `a${char}b.txt`, type: 'text/plain', content: 'x' },
      ]);
      await expectNameRefused(res, code);
    }
    expect(await h.rowCount()).toBe(0);
    expect(await h.objects()).toEqual([]);
  });

  test('fileInfo.name on POST /api/upload, with files and on the ?id= update', async () => {
    const withFile = await multipart('/api/upload', [
      { name: 'fileInfo', content: JSON.stringify({ name: 'evil\u202etxt.exe' }) },
      { name: 'files', filename: 'ok.txt', type: 'text/plain', content: 'x' },
    ]);
    await expectNameRefused(withFile, 'U+202E');
    expect(await h.objects()).toEqual([]);

    const created = await multipart('/api/upload', [
      { name: 'files', filename: 'fine.txt', type: 'text/plain', content: 'x' },
    ]);
    expect(created.status).toBe(201);
    const [entity] = await json(created);
    const update = await post(`/api/upload?id=${entity.id}`, JSON.stringify({ fileInfo: { name: 'a\u0000b' } }), {
      'content-type': 'application/json',
    });
    await expectNameRefused(update, 'U+0000');
    const after = await json(await fetch(`${h.url}/api/upload/files/${entity.id}`));
    expect(after.name).toBe('fine.txt');
  });

  test('POST /api/files, POST /api/files/from-url and POST /api/upload/direct', async () => {
    const files = await multipart('/api/files', [
      { name: 'file', filename: 'a\u0000b.txt', type: 'text/plain', content: 'x' },
    ]);
    await expectNameRefused(files, 'U+0000');
    const fromUrl = await post('/api/files/from-url', JSON.stringify({ url: `${h.url}/_health`, name: 'a\u0085b' }), {
      'content-type': 'application/json',
    });
    await expectNameRefused(fromUrl, 'U+0085');
    const direct = await post(
      '/api/upload/direct',
      JSON.stringify({ name: 'a\u2066b.png', mime: 'image/png', size: 3 }),
      {
        'content-type': 'application/json',
      },
    );
    await expectNameRefused(direct, 'U+2066');
    const directInfo = await post(
      '/api/upload/direct',
      JSON.stringify({ name: 'ok.png', mime: 'image/png', size: 3, fileInfo: { name: 'a\u001bb' } }),
      { 'content-type': 'application/json' },
    );
    await expectNameRefused(directInfo, 'U+001B');
  });

  test('names that only look unusual are kept: accents, emoji, right-to-left script, zero-width joiners', async () => {
    const name = 'Été 👩‍💻 שלום.txt';
    const res = await multipart('/api/upload', [{ name: 'files', filename: name, type: 'text/plain', content: 'x' }]);
    expect(res.status).toBe(201);
    expect((await json(res))[0].name).toBe(name);
  });
});
