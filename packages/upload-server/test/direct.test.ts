import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import sharp from 'sharp';
import type { UploadProvider } from 'upload-provider';
import { parseListQuery } from '../src/query/index.js';
import { sweepExpiredDirectUploads } from '../src/uploads/sweep.js';
import { type S3Emulator, startS3 } from './browser/s3.js';
import { type Credentials, storageForm } from './helpers/direct.js';
import { json } from './helpers/http.js';
import { databases, startServer, type TestServer } from './helpers/server.js';

// A tiny valid PNG (1×1), so a declared image/png can be confirmed by its bytes.
const PNG = Buffer.from(
  '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082',
  'hex',
);

interface Setup {
  name: string;
  server: TestServer;
  provider: UploadProvider;
  /** Whether the storage itself enforces the policy (size, type, expiry, signature). s3rver does not. */
  enforcesPolicy: boolean;
  /** A URL to GET an entity's file. */
  download(entityUrl: string): string;
  close(): Promise<void>;
}

async function localSetup(kind: 'sqlite' | 'postgres', config = {}): Promise<Setup> {
  const server = await startServer({ kind, config: { sizeLimit: 100_000, ...config } });
  return {
    name: 'local',
    server,
    provider: server.app.uploads.provider,
    enforcesPolicy: true,
    download: (url) => new URL(url, server.url).toString(),
    close: () => server.close(),
  };
}

let s3: S3Emulator;
async function s3Setup(kind: 'sqlite' | 'postgres', config = {}): Promise<Setup> {
  const provider = s3.provider();
  const server = await startServer({ kind, provider, config: { sizeLimit: 100_000, ...config } });
  return {
    name: 's3rver',
    server,
    provider,
    enforcesPolicy: false,
    download: (url) => url,
    close: () => server.close(),
  };
}

beforeAll(async () => {
  s3 = await startS3('direct');
});
afterAll(() => s3.close());

async function post(setup: Setup, path: string, body?: unknown) {
  const res = await fetch(`${setup.server.url}${path}`, {
    method: 'POST',
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  return { status: res.status, body: await json(res) };
}

async function pendingRows(setup: Setup): Promise<Array<{ id: string; status: string }>> {
  return setup.server.app.uploads.db.selectFrom('direct_uploads').select(['id', 'status']).execute();
}

for (const kind of databases()) {
  for (const make of [localSetup, s3Setup]) {
    describe(`direct uploads [${make === localSetup ? 'local' : 's3rver'}, ${kind}]`, () => {
      let setup: Setup;
      beforeAll(async () => {
        setup = await make(kind);
      });
      afterAll(() => setup.close());

      test('credentials, a form POST to the storage, a confirm: the file is recorded, listed and downloadable', async () => {
        const ask = await post(setup, '/api/upload/direct', {
          name: 'pixel.png',
          mime: 'image/png',
          size: PNG.length,
          fileInfo: { alternativeText: 'one pixel', caption: 'tiny' },
        });
        expect(ask.status).toBe(201);
        const c = ask.body as Credentials;
        expect(c.uploadId).toMatch(/^du_[0-9a-f]{32}$/);
        expect(c.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
        expect(c.key).toMatch(/pixel.*\.png$/);
        expect(Date.parse(c.expiresAt)).toBeGreaterThan(Date.now());
        if (setup.name === 's3rver') {
          expect(Object.keys(c.fields)).toEqual(
            expect.arrayContaining(
              [
                'key',
                'Content-Type',
                'X-Amz-Algorithm',
                'X-Amz-Credential',
                'X-Amz-Date',
                'Policy',
                'X-Amz-Signature',
              ].map((k) => expect.stringMatching(new RegExp(`^${k}$`, 'i'))),
            ),
          );
        }
        const sent = await fetch(c.url, { method: 'POST', body: storageForm(c, PNG, 'image/png', 'pixel.png') });
        expect(sent.status).toBeLessThan(300);

        const done = await post(setup, `/api/upload/direct/${c.uploadId}/complete`);
        expect(done.status).toBe(201);
        expect(done.body).toHaveLength(1);
        const entity = done.body[0];
        expect(entity).toMatchObject({
          name: 'pixel.png',
          alternativeText: 'one pixel',
          caption: 'tiny',
          mime: 'image/png',
          ext: '.png',
          width: 1,
          height: 1,
          formats: null,
          size: Math.round((PNG.length / 1000) * 100) / 100,
          provider: setup.provider.name,
          isUrlSigned: setup.provider.isPrivate(),
        });
        const listed = await (await fetch(`${setup.server.url}/api/upload/files`)).json();
        expect((listed as Array<{ id: number }>).map((f) => f.id)).toContain(entity.id);
        const got = await fetch(setup.download(entity.url));
        expect(got.status).toBe(200);
        expect(Buffer.from(await got.arrayBuffer()).equals(PNG)).toBe(true);
        // The stored row keeps the unsigned location.
        const row = await setup.server.app.uploads.repo.findFile(entity.id);
        expect(row?.url).toBe(setup.provider.url({ key: row!.object_key }));
        expect((await pendingRows(setup)).find((r) => r.id === c.uploadId)?.status).toBe('completed');

        const again = await post(setup, `/api/upload/direct/${c.uploadId}/complete`);
        expect(again.status).toBe(409);
      });

      test('an image gets its dimensions and responsive formats at confirm, as through POST /api/upload', async () => {
        const photo = await sharp({
          create: { width: 600, height: 400, channels: 3, background: { r: 20, g: 160, b: 90 } },
        })
          .jpeg()
          .toBuffer();
        const c = (
          await post(setup, '/api/upload/direct', { name: 'photo.jpg', mime: 'image/jpeg', size: photo.length })
        ).body as Credentials;
        await fetch(c.url, { method: 'POST', body: storageForm(c, photo, 'image/jpeg', 'photo.jpg') });
        const done = await post(setup, `/api/upload/direct/${c.uploadId}/complete`);
        expect(done.status).toBe(201);
        const entity = done.body[0];
        expect(entity).toMatchObject({ width: 600, height: 400, mime: 'image/jpeg' });
        expect(Object.keys(entity.formats).sort()).toEqual(['small', 'thumbnail']);
        const thumb = await fetch(setup.download(entity.formats.thumbnail.url));
        expect(thumb.status).toBe(200);
        const meta = await sharp(Buffer.from(await thumb.arrayBuffer())).metadata();
        expect([meta.width, meta.height]).toEqual([entity.formats.thumbnail.width, entity.formats.thumbnail.height]);
      });

      test('a confirm before the upload is a 409 and can be retried once the object is there', async () => {
        const c = (await post(setup, '/api/upload/direct', { name: 'later.txt', mime: 'text/plain', size: 11 }))
          .body as Credentials;
        const early = await post(setup, `/api/upload/direct/${c.uploadId}/complete`);
        expect(early.status).toBe(409);
        expect(early.body.error.message).toMatch(/not been uploaded/);
        await fetch(c.url, { method: 'POST', body: storageForm(c, Buffer.from('hello later'), 'text/plain') });
        const done = await post(setup, `/api/upload/direct/${c.uploadId}/complete`);
        expect(done.status).toBe(201);
        expect(done.body[0].mime).toBe('text/plain');
      });

      test('bytes that are not the declared type: 415 and the object is removed', async () => {
        const c = (await post(setup, '/api/upload/direct', { name: 'fake.png', mime: 'image/png', size: 1000 }))
          .body as Credentials;
        const html = Buffer.from('<!doctype html><html><script>alert(1)</script></html>');
        const sent = await fetch(c.url, { method: 'POST', body: storageForm(c, html, 'image/png', 'fake.png') });
        expect(sent.status).toBeLessThan(300);
        expect(await setup.provider.stat!({ key: c.key })).not.toBeNull();
        const done = await post(setup, `/api/upload/direct/${c.uploadId}/complete`);
        expect(done.status).toBe(415);
        expect(done.body.error.message).toMatch(/text\/html, not the declared image\/png/);
        expect(await setup.provider.stat!({ key: c.key })).toBeNull();
        expect((await pendingRows(setup)).find((r) => r.id === c.uploadId)?.status).toBe('expired');
      });

      test('an object larger than declared is refused (by the storage, or at confirm) and not kept', async () => {
        const c = (await post(setup, '/api/upload/direct', { name: 'small.txt', mime: 'text/plain', size: 10 }))
          .body as Credentials;
        const sent = await fetch(c.url, {
          method: 'POST',
          body: storageForm(c, Buffer.from('this is far more than ten bytes'), 'text/plain'),
        });
        if (setup.enforcesPolicy) {
          expect(sent.status).toBe(413);
          expect(await setup.provider.stat!({ key: c.key })).toBeNull();
          return;
        }
        // s3rver stores it regardless of the policy; the confirm is what catches it.
        expect(sent.status).toBeLessThan(300);
        const done = await post(setup, `/api/upload/direct/${c.uploadId}/complete`);
        expect(done.status).toBe(413);
        expect(await setup.provider.stat!({ key: c.key })).toBeNull();
      });

      test('requests over the size limit or of a refused type get no credentials', async () => {
        const before = (await pendingRows(setup)).length;
        const big = await post(setup, '/api/upload/direct', {
          name: 'big.bin',
          mime: 'application/zip',
          size: 100_001,
        });
        expect(big.status).toBe(413);
        expect(big.body.error.message).toMatch(/size limit of 100000/);
        const cases: Array<[unknown, RegExp]> = [
          [{ mime: 'text/plain', size: 1 }, /name is required/],
          [{ name: 'a.txt', size: 1 }, /mime is required/],
          [{ name: 'a.txt', mime: 'image/*', size: 1 }, /mime is required/],
          [{ name: 'a.txt', mime: 'text/plain', size: -1 }, /size is required/],
          [{ name: 'a.txt', mime: 'text/plain', size: '5' }, /size is required/],
          [{ name: 'a.txt', mime: 'text/plain', size: 1.5 }, /size is required/],
          [{ name: 'a.txt', mime: 'text/plain', size: 1, fileInfo: 'nope' }, /fileInfo/],
          [{ name: 'a.txt', mime: 'text/plain', size: 1, ref: 'api::x.x', refId: '1', field: 'f' }, /Unknown ref/],
        ];
        for (const [body, message] of cases) {
          const res = await post(setup, '/api/upload/direct', body);
          expect({ body, status: res.status }).toEqual({ body, status: 400 });
          expect(res.body.error.message).toMatch(message);
        }
        expect((await post(setup, '/api/upload/direct', [1])).status).toBe(400);
        expect((await pendingRows(setup)).length).toBe(before);
      });

      test('unknown and malformed upload ids are 404', async () => {
        expect((await post(setup, `/api/upload/direct/du_${'0'.repeat(32)}/complete`)).status).toBe(404);
        expect((await post(setup, '/api/upload/direct/whatever/complete')).status).toBe(404);
      });

      test('an upload never confirmed expires: the sweep removes its object, a late confirm is 410', async () => {
        const c = (await post(setup, '/api/upload/direct', { name: 'forgotten.txt', mime: 'text/plain', size: 20 }))
          .body as Credentials;
        await fetch(c.url, { method: 'POST', body: storageForm(c, Buffer.from('never confirmed'), 'text/plain') });
        expect(await setup.provider.stat!({ key: c.key })).not.toBeNull();
        // Nothing is swept while the credentials are valid.
        expect(await sweepExpiredDirectUploads(setup.server.app.uploads)).toBe(0);
        // The sweep as it will run after the expiry (and its grace period) has passed.
        const later = Date.parse(c.expiresAt) + 10 * 60 * 1000;
        expect(await sweepExpiredDirectUploads(setup.server.app.uploads, later)).toBeGreaterThanOrEqual(1);
        expect(await setup.provider.stat!({ key: c.key })).toBeNull();
        expect((await pendingRows(setup)).find((r) => r.id === c.uploadId)?.status).toBe('expired');
        const late = await post(setup, `/api/upload/direct/${c.uploadId}/complete`);
        expect(late.status).toBe(410);
      });
    });
  }
}

describe('direct uploads through the local provider: the storage enforces its signed policy', () => {
  let setup: Setup;
  beforeAll(async () => {
    setup = await localSetup('sqlite', { directUploadExpiresIn: 1 });
  });
  afterAll(() => setup.close());

  test('a tampered policy, a wrong type and expired credentials are refused by the storage', async () => {
    const ask = async () =>
      (await post(setup, '/api/upload/direct', { name: 'a.txt', mime: 'text/plain', size: 100 })).body as Credentials;
    const c = await ask();
    const policy = JSON.parse(Buffer.from(c.fields.policy!, 'base64url').toString('utf8'));
    const bigger = Buffer.from(JSON.stringify({ ...policy, maxSize: 10_000_000 })).toString('base64url');
    const tampered = await fetch(c.url, {
      method: 'POST',
      body: storageForm({ ...c, fields: { ...c.fields, policy: bigger } }, Buffer.from('x'), 'text/plain'),
    });
    expect(tampered.status).toBe(403);
    const wrongType = await fetch(c.url, {
      method: 'POST',
      body: storageForm({ ...c, fields: { ...c.fields, 'Content-Type': 'text/html' } }, Buffer.from('x'), 'text/html'),
    });
    expect(wrongType.status).toBeGreaterThanOrEqual(400);
    const d = await ask();
    // The credentials live one second (directUploadExpiresIn: 1); wait until they have passed.
    await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(d.expiresAt) - Date.now()) + 50));
    const expired = await fetch(d.url, { method: 'POST', body: storageForm(d, Buffer.from('late'), 'text/plain') });
    expect(expired.status).toBe(403);
    expect(await setup.provider.stat!({ key: d.key })).toBeNull();
  });
});

describe('direct uploads need a token once tokens exist', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({
      config: { tokens: [{ name: 'w', token: 'direct-test-token-0123456789abcdef', access: 'full-access' }] },
    });
  });
  afterAll(() => server.close());

  test('401 without a token, 201 with "Token <t>"', async () => {
    const body = JSON.stringify({ name: 'a.txt', mime: 'text/plain', size: 1 });
    const headers = { 'content-type': 'application/json' };
    expect((await fetch(`${server.url}/api/upload/direct`, { method: 'POST', headers, body })).status).toBe(401);
    const ok = await fetch(`${server.url}/api/upload/direct`, {
      method: 'POST',
      headers: { ...headers, authorization: 'Token direct-test-token-0123456789abcdef' },
      body,
    });
    expect(ok.status).toBe(201);
    const c = (await ok.json()) as Credentials;
    expect((await fetch(`${server.url}/api/upload/direct/${c.uploadId}/complete`, { method: 'POST' })).status).toBe(
      401,
    );
  });
});

describe('direct uploads of a type the server refuses', () => {
  let setup: Setup;
  beforeAll(async () => {
    setup = await localSetup('sqlite', { allowedTypes: ['image/*'], deniedTypes: ['image/svg+xml'] });
  });
  afterAll(() => setup.close());

  test('get a 415 before any credentials exist', async () => {
    for (const mime of ['text/plain', 'image/svg+xml', 'text/html']) {
      const res = await post(setup, '/api/upload/direct', { name: 'x', mime, size: 10 });
      expect({ mime, status: res.status }).toEqual({ mime, status: 415 });
      expect(res.body.error.message).toMatch(/not accepted/);
    }
    expect(await pendingRows(setup)).toEqual([]);
    expect((await post(setup, '/api/upload/direct', { name: 'x.png', mime: 'image/png', size: 10 })).status).toBe(201);
  });
});

describe('direct uploads of an image over the pixel limit', () => {
  let setup: Setup;
  beforeAll(async () => {
    setup = await localSetup('sqlite', { images: { pixelLimit: 10_000 } });
  });
  afterAll(() => setup.close());

  test('are refused at confirm with 422 and their object is deleted', async () => {
    const big = await sharp({ create: { width: 300, height: 200, channels: 3, background: { r: 1, g: 2, b: 3 } } })
      .png()
      .toBuffer();
    const c = (await post(setup, '/api/upload/direct', { name: 'big.png', mime: 'image/png', size: big.length }))
      .body as Credentials;
    await fetch(c.url, { method: 'POST', body: storageForm(c, big, 'image/png', 'big.png') });
    const done = await post(setup, `/api/upload/direct/${c.uploadId}/complete`);
    expect(done.status).toBe(422);
    expect(await setup.provider.stat!({ key: c.key })).toBeNull();
    const all = { maxPageSize: 100, defaultPageSize: 25, paginate: false };
    expect((await setup.server.app.uploads.repo.listFiles(parseListQuery({}), all)).rows).toEqual([]);
  });
});
