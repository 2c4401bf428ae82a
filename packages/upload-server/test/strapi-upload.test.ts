import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { diskProvider } from './helpers/disk-provider.js';
import { abortedUpload, eventually, form, json, rawMultipart } from './helpers/http.js';
import { forEachDatabase, type Harness, startHarness } from './helpers/suite.js';

const ENTITY_KEYS = [
  'alternativeText',
  'caption',
  'createdAt',
  'documentId',
  'ext',
  'folderPath',
  'formats',
  'hash',
  'height',
  'id',
  'isUrlSigned',
  'mime',
  'name',
  'previewUrl',
  'provider',
  'provider_metadata',
  'publishedAt',
  'size',
  'updatedAt',
  'url',
  'width',
];

const PNG_1X1 = Buffer.from(
  '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201a5f1e1a90000000049454e44ae426082',
  'hex',
);

async function upload(h: Harness, body: FormData | { body: Buffer; contentType: string }, query = '') {
  const init: RequestInit =
    body instanceof FormData
      ? { method: 'POST', body }
      : { method: 'POST', body: body.body, headers: { 'content-type': body.contentType } };
  const res = await fetch(`${h.url}/api/upload${query}`, init);
  return { status: res.status, body: await json(res), headers: res.headers };
}

forEachDatabase('POST /api/upload', (kind) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(kind, {
      config: {
        sizeLimit: 64 * 1024,
        contentTypes: { 'api::article.article': { cover: 'single', gallery: 'multiple' } },
      },
    });
  });
  afterAll(() => h.server.close());

  test('one file: 201 with an array of one Strapi file entity; bytes stored as sent', async () => {
    const content = 'x'.repeat(2500);
    const res = await upload(h, form([{ filename: 'Notes Été.txt', content, type: 'text/plain' }]));
    expect(res.status).toBe(201);
    expect(Array.isArray(res.body)).toBe(true);
    const [file] = res.body;
    expect(Object.keys(file).sort()).toEqual(ENTITY_KEYS);
    expect(file).toMatchObject({
      name: 'Notes Été.txt',
      ext: '.txt',
      mime: 'text/plain',
      size: 2.5,
      alternativeText: null,
      caption: null,
      width: null,
      height: null,
      formats: null,
      previewUrl: null,
      provider: 'test-disk',
      folderPath: '/',
      isUrlSigned: false,
    });
    expect(Number.isInteger(file.id)).toBe(true);
    expect(file.documentId).toMatch(/^[a-z0-9]{24}$/);
    expect(file.hash).toMatch(/^notes-ete_[0-9a-f]{10}$/);
    expect(new Date(file.createdAt).toISOString()).toBe(file.createdAt);
    const key = `${file.hash}.txt`;
    expect(file.url).toBe(`http://files.test/${key}`);
    expect(h.object(key).toString()).toBe(content);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });

  test('several files keep their order and each gets its own fileInfo (JSON array)', async () => {
    const infos = [
      { name: 'first', alternativeText: 'alt one', caption: 'cap one' },
      { name: 'second', alternativeText: null, caption: 'cap two' },
      { name: 'third' },
    ];
    const res = await upload(
      h,
      form(
        [
          { filename: 'a.txt', content: 'aaa', type: 'text/plain' },
          { filename: 'b.png', content: PNG_1X1, type: 'image/png' },
          { filename: 'c.json', content: '{"c":1}', type: 'application/json' },
        ],
        { fileInfo: JSON.stringify(infos) },
      ),
    );
    expect(res.status).toBe(201);
    expect(res.body.map((f: { name: string }) => f.name)).toEqual(['first', 'second', 'third']);
    expect(res.body.map((f: { mime: string }) => f.mime)).toEqual(['text/plain', 'image/png', 'application/json']);
    expect(res.body[0]).toMatchObject({ alternativeText: 'alt one', caption: 'cap one' });
    expect(res.body[1]).toMatchObject({ alternativeText: null, caption: 'cap two' });
    const ids = res.body.map((f: { id: number }) => f.id);
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
  });

  test('concurrent uploads each get their own row and object', async () => {
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        upload(h, form([{ filename: `c${i}.txt`, content: `concurrent ${i}`, type: 'text/plain' }])),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(Array(12).fill(201));
    const ids = new Set(results.map((r) => r.body[0].id));
    expect(ids.size).toBe(12);
    for (const [i, r] of results.entries()) {
      expect(h.object(`${r.body[0].hash}.txt`).toString()).toBe(`concurrent ${i}`);
    }
  });

  test('fileInfo sent before the files, and one fileInfo field per file, both work', async () => {
    const res = await upload(
      h,
      form(
        [
          { filename: 'a.txt', content: 'a' },
          { filename: 'b.txt', content: 'b' },
        ],
        { fileInfo: [JSON.stringify({ caption: 'A' }), JSON.stringify({ caption: 'B' })] },
        true,
      ),
    );
    expect(res.status).toBe(201);
    expect(res.body.map((f: { caption: string }) => f.caption)).toEqual(['A', 'B']);
  });

  test('files[] parts (Strapi v3 clients) with `source`, in a hand-built multipart body', async () => {
    const res = await upload(
      h,
      rawMultipart([
        { name: 'source', content: 'upload' },
        { name: 'files[]', filename: 'one.txt', type: 'text/plain', content: 'one' },
        { name: 'files[]', filename: 'two.txt', type: 'text/plain', content: 'two' },
      ]),
    );
    expect(res.status).toBe(201);
    expect(res.body.map((f: { name: string }) => f.name)).toEqual(['one.txt', 'two.txt']);
  });

  test('the type comes from the bytes, not the claim: HTML sent as image/png is recorded as text/html', async () => {
    const res = await upload(
      h,
      form([
        { filename: 'cat.png', content: '<!doctype html><html><script>alert(1)</script></html>', type: 'image/png' },
      ]),
    );
    expect(res.status).toBe(201);
    expect(res.body[0].mime).toBe('text/html');
  });

  // Control and bidi characters are refused rather than removed: see names.test.ts.
  test('names are sanitised: no directories, no zero-width characters (file name and fileInfo.name)', async () => {
    const res = await upload(
      h,
      rawMultipart([
        { name: 'files', filename: 'in\u200bvoice\ufeff.txt', type: 'text/plain', content: 'a' },
        { name: 'files', filename: 'plain.txt', type: 'text/plain', content: 'b' },
        { name: 'fileInfo', content: JSON.stringify([{}, { name: '../../etc/pass\u2060wd' }]) },
      ]),
    );
    expect(res.status).toBe(201);
    expect(res.body.map((f: { name: string }) => f.name)).toEqual(['invoice.txt', 'passwd']);
    const renamed = await upload(
      h,
      form([], { fileInfo: JSON.stringify({ name: 'a/b/\u200bc.txt' }) }),
      `?id=${res.body[0].id}`,
    );
    expect(renamed.body.name).toBe('c.txt');
  });

  test('`path` puts the object under that folder; a path that escapes is a 400 and stores nothing', async () => {
    const ok = await upload(h, form([{ filename: 'p.txt', content: 'p' }], { path: 'avatars/2024' }, true));
    expect(ok.status).toBe(201);
    expect(ok.body[0].folderPath).toBe('/avatars/2024');
    expect(ok.body[0].url).toBe(`http://files.test/avatars/2024/${ok.body[0].hash}.txt`);
    const before = await h.objects();
    const rows = await h.rowCount();
    const late = await upload(h, form([{ filename: 'p.txt', content: 'p' }], { path: 'avatars' }));
    expect(late.status).toBe(400);
    expect(late.body.error.message).toMatch(/"path" field before the files/);
    const bad = await upload(h, form([{ filename: 'p.txt', content: 'p' }], { path: '../../etc' }, true));
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ data: null, error: { status: 400, name: 'ValidationError' } });
    expect(await h.objects()).toEqual(before);
    expect(await h.rowCount()).toBe(rows);
  });

  test('no files: 400 ValidationError "Files are empty" (multipart and JSON)', async () => {
    const multi = await upload(h, form([], { fileInfo: '{}' }));
    expect(multi).toMatchObject({
      status: 400,
      body: { data: null, error: { status: 400, name: 'ValidationError', message: 'Files are empty', details: {} } },
    });
    const res = await fetch(`${h.url}/api/upload`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(res.status).toBe(400);
    expect((await json(res)).error.message).toBe('Files are empty');
  });

  test('bad fileInfo (not JSON, wrong types, more entries than files): 400 and nothing stored', async () => {
    const before = await h.objects();
    const rows = await h.rowCount();
    for (const fileInfo of ['{nope', JSON.stringify({ name: 42 }), JSON.stringify([{}, {}])]) {
      const res = await upload(h, form([{ filename: 'x.txt', content: 'x' }], { fileInfo }));
      expect(res.status).toBe(400);
      expect(res.body.error.name).toBe('ValidationError');
      expect(res.body.error.message).toMatch(/fileInfo/);
    }
    expect(await h.objects()).toEqual(before);
    expect(await h.rowCount()).toBe(rows);
  });

  test('a multipart body cut short or malformed: 400, nothing stored', async () => {
    const before = await h.objects();
    const rows = await h.rowCount();
    const truncated = Buffer.from(
      '--XX\r\nContent-Disposition: form-data; name="files"; filename="a.txt"\r\nContent-Type: text/plain\r\n\r\nabc',
    );
    for (const [contentType, body] of [
      ['multipart/form-data; boundary=XX', truncated],
      ['multipart/form-data', Buffer.from('x')],
    ] as const) {
      const res = await fetch(`${h.url}/api/upload`, {
        method: 'POST',
        headers: { 'content-type': contentType },
        body,
      });
      expect(res.status).toBe(400);
      expect((await json(res)).error.name).toBe('ValidationError');
    }
    expect(await h.objects()).toEqual(before);
    expect(await h.rowCount()).toBe(rows);
    const badUrl = await fetch(`${h.url}/api/upload/files/%E0%A4%A`);
    expect(badUrl.status).toBe(400);
    expect(await json(badUrl)).toMatchObject({ data: null, error: { status: 400, name: 'ValidationError' } });
  });

  test('a file in a part not named files: 400 naming the expected field', async () => {
    const res = await upload(h, form([{ name: 'file', filename: 'x.txt', content: 'x' }]));
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/"files"/);
  });

  test('a body that is neither multipart nor JSON: 415 in the envelope; malformed JSON: 400', async () => {
    const res = await fetch(`${h.url}/api/upload`, {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: 'a,b',
    });
    expect(res.status).toBe(415);
    expect((await json(res)).error).toMatchObject({ status: 415, name: 'UnsupportedMediaTypeError' });
    const bad = await fetch(`${h.url}/api/upload?id=1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"fileInfo":',
    });
    expect(bad.status).toBe(400);
    expect((await json(bad)).error.name).toBe('ValidationError');
  });

  test('over the size limit: 413 PayloadTooLargeError, no object and no row; at the limit: 201', async () => {
    const before = await h.objects();
    const rows = await h.rowCount();
    const res = await upload(h, form([{ filename: 'big.bin', content: new Uint8Array(64 * 1024 + 1) }]));
    expect(res.status).toBe(413);
    expect(res.body).toMatchObject({ data: null, error: { status: 413, name: 'PayloadTooLargeError' } });
    expect(res.body.error.message).toMatch(/65536 bytes/);
    expect(await h.objects()).toEqual(before);
    expect(await h.rowCount()).toBe(rows);
    // A later file in the same request over the limit also undoes the earlier one.
    const mixed = await upload(
      h,
      form([
        { filename: 'small.txt', content: 'small' },
        { filename: 'big.bin', content: new Uint8Array(70 * 1024) },
      ]),
    );
    expect(mixed.status).toBe(413);
    expect(await h.objects()).toEqual(before);
    expect(await h.rowCount()).toBe(rows);
    const exact = await upload(h, form([{ filename: 'exact.bin', content: new Uint8Array(64 * 1024) }]));
    expect(exact.status).toBe(201);
    expect(exact.body[0].size).toBe(65.54);
  });

  describe('links to entries (ref, refId, field)', () => {
    test('a declared media field links the files; populate=related shows them', async () => {
      const res = await upload(
        h,
        form(
          [
            { filename: 'g1.txt', content: '1' },
            { filename: 'g2.txt', content: '2' },
          ],
          {
            ref: 'api::article.article',
            refId: '7',
            field: 'gallery',
          },
        ),
      );
      expect(res.status).toBe(201);
      expect(res.body[0].related).toEqual([{ __type: 'api::article.article', id: 7, field: 'gallery' }]);
      const one = await json(await fetch(`${h.url}/api/upload/files/${res.body[1].id}?populate=related`));
      expect(one.related).toEqual([{ __type: 'api::article.article', id: 7, field: 'gallery' }]);
      const plain = await json(await fetch(`${h.url}/api/upload/files/${res.body[1].id}`));
      expect(plain.related).toBeUndefined();
    });

    test('a single-media field keeps one file: a new upload takes the link over', async () => {
      const link = { ref: 'api::article.article', refId: '9', field: 'cover' };
      const first = await upload(h, form([{ filename: 'c1.txt', content: '1' }], link));
      const second = await upload(h, form([{ filename: 'c2.txt', content: '2' }], link));
      expect(first.status).toBe(201);
      expect(second.status).toBe(201);
      const a = await json(await fetch(`${h.url}/api/upload/files/${first.body[0].id}?populate[related]=true`));
      const b = await json(await fetch(`${h.url}/api/upload/files/${second.body[0].id}?populate=related`));
      expect(a.related).toEqual([]);
      expect(b.related).toEqual([{ __type: 'api::article.article', id: 9, field: 'cover' }]);
      const two = await upload(
        h,
        form(
          [
            { filename: 'x.txt', content: 'x' },
            { filename: 'y.txt', content: 'y' },
          ],
          link,
        ),
      );
      expect(two.status).toBe(400);
      expect(two.body.error.message).toMatch(/single file/);
    });

    test('an undeclared ref or field, or a partial link, is a 400 and stores nothing', async () => {
      const before = await h.objects();
      const cases: Array<[Record<string, string>, RegExp]> = [
        [{ ref: 'api::nope.nope', refId: '1', field: 'cover' }, /Unknown ref "api::nope.nope"/],
        [{ ref: 'api::article.article', refId: '1', field: 'avatar' }, /no media field "avatar"/],
        [{ ref: 'api::article.article', field: 'cover' }, /refId is required/],
      ];
      for (const [fields, message] of cases) {
        const res = await upload(h, form([{ filename: 'l.txt', content: 'l' }], fields));
        expect(res.status).toBe(400);
        expect(res.body.error).toMatchObject({ name: 'ValidationError' });
        expect(res.body.error.message).toMatch(message);
      }
      expect(await h.objects()).toEqual(before);
    });
  });
});

forEachDatabase('POST /api/upload, client going away', (kind) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(kind, { config: { sizeLimit: 64 * 1024 * 1024 } });
  });
  afterAll(() => h.server.close());

  test('a client that disconnects mid-upload leaves no object and no row', async () => {
    // 32 MiB declared, 4 MiB sent: the object is being written when the client goes away, and the size limit
    // (64 MiB) is never reached, so only the disconnect can make the server remove it.
    await abortedUpload(`${h.url}/api/upload`, 32 * 1024 * 1024, 4 * 1024 * 1024, () =>
      eventually(async () => (await h.objects()).length === 1, 'the partial object appears'),
    );
    await eventually(async () => (await h.objects()).length === 0, 'the partial object is removed');
    expect(await h.rowCount()).toBe(0);
    // The server is still healthy and takes the next upload.
    const res = await upload(h, form([{ filename: 'after.txt', content: 'after' }]));
    expect(res.status).toBe(201);
    expect(await h.rowCount()).toBe(1);
  });
});

forEachDatabase('POST /api/upload, storage failing', (kind) => {
  let h: Harness;
  let root: string;
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'upload-server-failing-'));
    // The storage accepts the first upload and refuses every later one.
    h = await startHarness(kind, { provider: diskProvider(root, { failUploadsAfter: 1 }) });
  });
  afterAll(() => h.server.close());

  test('the second file failing: 503 ServiceUnavailableError, and the first file is removed again', async () => {
    const res = await upload(
      h,
      form([
        { filename: 'one.txt', content: 'one' },
        { filename: 'two.txt', content: 'two' },
      ]),
    );
    expect(res.status).toBe(503);
    expect(res.body).toEqual({
      data: null,
      error: {
        status: 503,
        name: 'ServiceUnavailableError',
        message: 'The storage is unavailable; try again later',
        details: { code: 'UNAVAILABLE', retryAfter: 5 },
      },
    });
    expect(res.headers.get('retry-after')).toBe('5');
    expect(await diskProvider(root).list()).toEqual([]);
    expect(await h.rowCount()).toBe(0);
  });
});

forEachDatabase('POST /api/upload?id=', (kind) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(kind);
  });
  afterAll(() => h.server.close());

  async function one(content = 'original') {
    const res = await upload(h, form([{ filename: 'doc.txt', content, type: 'text/plain' }]));
    expect(res.status).toBe(201);
    return res.body[0];
  }

  test('fileInfo only (multipart or JSON) updates name, alternativeText and caption: 200 with the entity', async () => {
    const file = await one();
    const res = await upload(
      h,
      form([], { fileInfo: JSON.stringify({ name: 'renamed', alternativeText: 'alt', caption: 'cap' }) }),
      `?id=${file.id}`,
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id: file.id,
      name: 'renamed',
      alternativeText: 'alt',
      caption: 'cap',
      hash: file.hash,
    });
    expect(res.body.updatedAt >= file.updatedAt).toBe(true);
    const viaJson = await fetch(`${h.url}/api/upload?id=${file.id}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ fileInfo: { caption: 'json caption' } }),
    });
    expect(viaJson.status).toBe(200);
    expect(await json(viaJson)).toMatchObject({ name: 'renamed', caption: 'json caption', alternativeText: 'alt' });
  });

  test('with a file: the content is replaced under the same id and the old object is removed', async () => {
    const file = await one('old bytes');
    const oldKey = `${file.hash}.txt`;
    expect(await h.objects()).toContain(oldKey);
    const res = await upload(
      h,
      form([{ filename: 'new.txt', content: 'new bytes!', type: 'text/plain' }], {
        fileInfo: JSON.stringify({ caption: 'v2' }),
      }),
      `?id=${file.id}`,
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: file.id, documentId: file.documentId, caption: 'v2', size: 0.01 });
    expect(res.body.hash).not.toBe(file.hash);
    expect(res.body.createdAt).toBe(file.createdAt);
    const objects = await h.objects();
    expect(objects).not.toContain(oldKey);
    expect(h.object(`${res.body.hash}.txt`).toString()).toBe('new bytes!');
  });

  test('an unknown id is a 404; an id that is not a number is a 400; two files are a 400', async () => {
    const missing = await upload(h, form([{ filename: 'a.txt', content: 'a' }]), '?id=999999');
    expect(missing.status).toBe(404);
    expect(missing.body.error.name).toBe('NotFoundError');
    const bad = await upload(h, form([], { fileInfo: '{}' }), '?id=abc');
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toBe('File id is required and must be a single value');
    const file = await one();
    const before = await h.objects();
    const two = await upload(
      h,
      form([
        { filename: 'a.txt', content: 'a' },
        { filename: 'b.txt', content: 'b' },
      ]),
      `?id=${file.id}`,
    );
    expect(two.status).toBe(400);
    expect(two.body.error.message).toMatch(/Cannot replace a file with multiple ones/);
    expect(await h.objects()).toEqual(before);
  });
});
