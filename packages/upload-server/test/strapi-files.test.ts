import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { form, json } from './helpers/http.js';
import { forEachDatabase, type Harness, startHarness } from './helpers/suite.js';

interface Entity {
  id: number;
  name: string;
  mime: string;
  caption: string | null;
  hash: string;
  ext: string;
}

forEachDatabase('GET/DELETE /api/upload/files', (kind) => {
  let h: Harness;
  let files: Entity[];
  const get = async (path: string) => {
    const res = await fetch(`${h.url}${path}`);
    return { status: res.status, body: await json(res) };
  };

  beforeAll(async () => {
    h = await startHarness(kind, { config: { pagination: { defaultPageSize: 25, maxPageSize: 40 } } });
    // 30 files: names file-00 … file-29, every third a JSON file, captions on the even ones.
    const parts = Array.from({ length: 30 }, (_, i) => ({
      filename: `file-${String(i).padStart(2, '0')}.${i % 3 === 0 ? 'json' : 'txt'}`,
      content: i % 3 === 0 ? `{"i":${i}}` : `text ${i}`,
    }));
    const infos = parts.map((_, i) => (i % 2 === 0 ? { caption: `Caption ${i}` } : {}));
    const res = await fetch(`${h.url}/api/upload`, {
      method: 'POST',
      body: form(parts, { fileInfo: JSON.stringify(infos) }),
    });
    expect(res.status).toBe(201);
    files = await json(res);
  });
  afterAll(() => h.server.close());

  test('the flat list returns every file as an array, oldest first by default', async () => {
    const { status, body } = await get('/api/upload/files');
    expect(status).toBe(200);
    expect(Array.isArray(body)).toBe(true);
    expect(body.map((f: Entity) => f.id)).toEqual(files.map((f) => f.id));
  });

  test('filters in qs bracket syntax: $eq, $in, $containsi, $startsWith, $null, $or, $not', async () => {
    const names = async (query: string) =>
      ((await get(`/api/upload/files?${query}`)).body as Entity[]).map((f) => f.name);
    expect(await names('filters[name][$eq]=file-04.txt')).toEqual(['file-04.txt']);
    expect(await names('filters[name][$in][0]=file-01.txt&filters[name][$in][1]=file-02.txt')).toEqual([
      'file-01.txt',
      'file-02.txt',
    ]);
    expect(await names('filters[caption][$containsi]=CAPTION%202&sort=name:asc')).toEqual([
      'file-02.txt',
      'file-20.txt',
      'file-22.txt',
      'file-24.json',
      'file-26.txt',
      'file-28.txt',
    ]);
    expect((await names('filters[mime][$eq]=application/json')).length).toBe(10);
    expect((await names('filters[caption][$null]=true')).length).toBe(15);
    expect(await names('filters[$or][0][name][$eq]=file-00.json&filters[$or][1][name][$startsWith]=file-29')).toEqual([
      'file-00.json',
      'file-29.txt',
    ]);
    expect((await names('filters[$not][mime][$eq]=application/json')).length).toBe(20);
    // Percent-encoded brackets, as URLSearchParams sends them.
    const encoded = new URLSearchParams({ 'filters[name][$endsWith]': '-13.txt' }).toString();
    expect(await names(encoded)).toEqual(['file-13.txt']);
  });

  test('sort (string, array, desc) and fields', async () => {
    const desc = (await get('/api/upload/files?sort=name:desc')).body as Entity[];
    expect(desc[0]!.name).toBe('file-29.txt');
    const multi = (await get('/api/upload/files?sort[0]=mime:asc&sort[1]=name:desc')).body as Entity[];
    expect(multi[0]).toMatchObject({ mime: 'application/json', name: 'file-27.json' });
    const narrow = (await get('/api/upload/files?fields[0]=name&fields[1]=mime&filters[id][$eq]=' + files[0]!.id))
      .body as Entity[];
    expect(narrow).toEqual([
      { id: files[0]!.id, documentId: expect.any(String), name: 'file-00.json', mime: 'application/json' },
    ]);
  });

  test('bad list parameters are a 400 ValidationError naming the parameter', async () => {
    for (const query of ['filters[secret_hash][$eq]=x', 'filters[name][$regex]=x', 'sort=nope:asc']) {
      const { status, body } = await get(`/api/upload/files?${query}`);
      expect(status).toBe(400);
      expect(body).toMatchObject({ data: null, error: { status: 400, name: 'ValidationError' } });
    }
  });

  test('page: { data, meta: { pagination } } with page/pageSize, default 25, capped at the maximum', async () => {
    const first = await get('/api/upload/files/page');
    expect(first.status).toBe(200);
    expect(first.body.data).toHaveLength(25);
    expect(first.body.meta.pagination).toEqual({ page: 1, pageSize: 25, pageCount: 2, total: 30 });
    const second = await get('/api/upload/files/page?pagination[page]=2&pagination[pageSize]=25');
    expect(second.body.data.map((f: Entity) => f.id)).toEqual(files.slice(25).map((f) => f.id));
    const capped = await get('/api/upload/files/page?pagination[pageSize]=1000');
    expect(capped.body.meta.pagination.pageSize).toBe(40);
  });

  test('page: start/limit, withCount=false, and mixing both styles is a 400', async () => {
    const offset = await get('/api/upload/files/page?pagination[start]=5&pagination[limit]=3&sort=id:asc');
    expect(offset.body.data.map((f: Entity) => f.id)).toEqual(files.slice(5, 8).map((f) => f.id));
    expect(offset.body.meta.pagination).toEqual({ start: 5, limit: 3, total: 30 });
    const noCount = await get(
      '/api/upload/files/page?pagination[page]=1&pagination[pageSize]=2&pagination[withCount]=false',
    );
    expect(noCount.body.meta.pagination).toEqual({ page: 1, pageSize: 2 });
    const mixed = await get('/api/upload/files/page?pagination[page]=1&pagination[limit]=3');
    expect(mixed.status).toBe(400);
    expect(mixed.body.error.name).toBe('ValidationError');
  });

  test('GET /api/upload/files/:id: the entity; unknown or non-numeric id: 404 NotFoundError', async () => {
    const one = await get(`/api/upload/files/${files[3]!.id}`);
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ id: files[3]!.id, name: files[3]!.name });
    for (const id of ['999999', 'abc']) {
      const missing = await get(`/api/upload/files/${id}`);
      expect(missing.status).toBe(404);
      expect(missing.body).toEqual({
        data: null,
        error: { status: 404, name: 'NotFoundError', message: 'file.notFound', details: {} },
      });
    }
  });

  test('DELETE /api/upload/files/:id: 200 with the entity; its object is gone; then 404', async () => {
    const target = files[10]!;
    const key = `${target.hash}${target.ext}`;
    expect(await h.objects()).toContain(key);
    const res = await fetch(`${h.url}/api/upload/files/${target.id}`, { method: 'DELETE' });
    expect(res.status).toBe(200);
    expect(await json(res)).toMatchObject({ id: target.id, name: target.name });
    expect(await h.objects()).not.toContain(key);
    expect((await get(`/api/upload/files/${target.id}`)).status).toBe(404);
    const again = await fetch(`${h.url}/api/upload/files/${target.id}`, { method: 'DELETE' });
    expect(again.status).toBe(404);
  });

  test('unknown routes and methods answer in the Strapi envelope', async () => {
    const res = await get('/api/nothing-here');
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ data: null, error: { status: 404, name: 'NotFoundError' } });
    const put = await fetch(`${h.url}/api/upload/files/1`, { method: 'PUT' });
    expect(put.status).toBe(404);
    expect((await json(put)).error.name).toBe('NotFoundError');
  });

  test('GET /_health reports the database and provider', async () => {
    const { status, body } = await get('/_health');
    expect(status).toBe(200);
    expect(body).toEqual({ status: 'ok', database: kind, provider: 'test-disk' });
  });
});
