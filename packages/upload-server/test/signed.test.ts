import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import sharp from 'sharp';
import { type S3Emulator, startS3 } from './browser/s3.js';
import { form, json } from './helpers/http.js';
import { databases, startServer, type TestServer } from './helpers/server.js';

let png: Buffer;
beforeAll(async () => {
  png = await sharp({ create: { width: 400, height: 300, channels: 3, background: { r: 200, g: 30, b: 90 } } })
    .png()
    .toBuffer();
});

const waitUntil = (iso: string) => new Promise((r) => setTimeout(r, Math.max(0, Date.parse(iso) - Date.now()) + 50));

async function uploadImage(server: TestServer) {
  const res = await fetch(`${server.url}/api/upload`, {
    method: 'POST',
    body: form([{ filename: 'photo.png', content: png, type: 'image/png' }]),
  });
  expect(res.status).toBe(201);
  return (await json(res))[0];
}

function expiresOf(url: string, base: string): string {
  return new Date(Number(new URL(url, base).searchParams.get('expires'))).toISOString();
}

for (const kind of databases()) {
  describe(`signed URLs in entities when the provider is private [${kind}]`, () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startServer({ kind, config: { provider: { name: 'local', options: { private: true } } } });
    });
    afterAll(() => server.close());

    test('every response carries signed url and formats[*].url; the row keeps the unsigned location', async () => {
      const entity = await uploadImage(server);
      expect(entity.isUrlSigned).toBe(true);
      expect(new URL(entity.url, server.url).searchParams.get('signature')).toBeTruthy();
      expect(entity.formats.thumbnail.isUrlSigned).toBe(true);
      expect(new URL(entity.formats.thumbnail.url, server.url).searchParams.get('signature')).toBeTruthy();
      // About 15 minutes by default.
      const lifetime = Date.parse(expiresOf(entity.url, server.url)) - Date.now();
      expect(lifetime).toBeGreaterThan(14 * 60 * 1000);
      expect(lifetime).toBeLessThanOrEqual(15 * 60 * 1000);

      const row = await server.app.uploads.repo.findFile(entity.id);
      expect(row!.url).not.toContain('?');
      expect(row!.url).toBe(new URL(entity.url, server.url).pathname);
      expect(JSON.stringify(row!.formats)).not.toContain('signature');

      const one = await json(await fetch(`${server.url}/api/upload/files/${entity.id}`));
      const list = await json(await fetch(`${server.url}/api/upload/files`));
      const page = await json(await fetch(`${server.url}/api/upload/files/page`));
      const updated = await json(
        await fetch(`${server.url}/api/upload?id=${entity.id}`, {
          method: 'POST',
          body: form([], { fileInfo: JSON.stringify({ caption: 'changed' }) }),
        }),
      );
      for (const e of [one, list[0], page.data[0], updated]) {
        expect(e.isUrlSigned).toBe(true);
        expect(e.url).toContain('signature=');
        expect(e.formats.thumbnail.url).toContain('signature=');
      }
      const deleted = await json(await fetch(`${server.url}/api/upload/files/${entity.id}`, { method: 'DELETE' }));
      expect(deleted.isUrlSigned).toBe(true);
    });

    test('a signed URL downloads; unsigned and tampered ones are refused', async () => {
      const entity = await uploadImage(server);
      const signed = new URL(entity.url, server.url);
      const ok = await fetch(signed);
      expect(ok.status).toBe(200);
      expect(Buffer.from(await ok.arrayBuffer()).equals(png)).toBe(true);
      expect((await fetch(new URL(signed.pathname, server.url))).status).toBe(404);
      const longer = new URL(signed);
      longer.searchParams.set('expires', String(Number(signed.searchParams.get('expires')) + 86_400_000));
      expect((await fetch(longer)).status).toBe(403);
      const other = new URL(new URL(entity.formats.thumbnail.url, server.url).pathname, server.url);
      other.search = signed.search;
      // A signature made for one object does not open another.
      expect((await fetch(other)).status).toBe(403);
    });
  });
}

describe('expired signed URLs', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({
      config: {
        provider: { name: 'local', options: { private: true } },
        signedUrlExpiresIn: 1,
        fileUrlExpiresIn: 1,
      },
    });
  });
  afterAll(() => server.close());

  test('entity URLs and sign-urls URLs are refused once their lifetime has passed', async () => {
    const entity = await uploadImage(server);
    const fileRes = await fetch(`${server.url}/api/files`, {
      method: 'POST',
      body: form([{ name: 'file', filename: 'a.txt', content: 'soon gone', type: 'text/plain' }]),
    });
    const { secret } = await json(fileRes);
    const { items } = await json(
      await fetch(`${server.url}/api/files/sign-urls`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ secrets: [secret] }),
      }),
    );
    const entityUrl = new URL(entity.url, server.url);
    expect((await fetch(entityUrl)).status).toBe(200);
    expect((await fetch(items[0].url)).status).toBe(200);
    await waitUntil(items[0].expiresAt);
    await waitUntil(expiresOf(entity.url, server.url));
    const late = await fetch(entityUrl);
    expect(late.status).toBe(403);
    expect(await late.text()).toMatch(/expired/);
    expect((await fetch(items[0].url)).status).toBe(403);
    // The secret itself keeps working: it is the long-lived credential.
    expect(await (await fetch(`${server.url}/api/files/${secret}`)).text()).toBe('soon gone');
  });
});

describe('a public provider', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server.close());

  test('gives plain URLs with isUrlSigned false', async () => {
    const entity = await uploadImage(server);
    expect(entity.isUrlSigned).toBe(false);
    expect(entity.url).not.toContain('?');
    expect(entity.formats.thumbnail.url).not.toContain('?');
    expect((await fetch(new URL(entity.url, server.url))).status).toBe(200);
  });
});

// s3rver enforces the expiry of presigned URLs (not their signatures: the aws-s3 package checks those with its own
// SigV4 code), so this shows an S3 entity URL is signed, works, and stops working once its lifetime has passed.
describe('a private S3 bucket (s3rver)', () => {
  let s3: S3Emulator;
  let server: TestServer;
  beforeAll(async () => {
    s3 = await startS3('signed');
    server = await startServer({ provider: s3.provider(), config: { signedUrlExpiresIn: 1 } });
  });
  afterAll(async () => {
    await server.close();
    await s3.close();
  });

  test('entity URLs are presigned, download the file, and expire', async () => {
    const res = await fetch(`${server.url}/api/upload`, {
      method: 'POST',
      body: form([{ filename: 'note.txt', content: 'in a private bucket', type: 'text/plain' }]),
    });
    const [entity] = await json(res);
    expect(entity.isUrlSigned).toBe(true);
    const url = new URL(entity.url);
    expect(url.searchParams.get('X-Amz-Signature')).toBeTruthy();
    expect(url.searchParams.get('X-Amz-Expires')).toBe('1');
    const row = await server.app.uploads.repo.findFile(entity.id);
    expect(row!.url).not.toContain('X-Amz-Signature');
    expect(await (await fetch(url)).text()).toBe('in a private bucket');
    const date = url.searchParams.get('X-Amz-Date')!;
    const signedAt = Date.parse(
      `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}T${date.slice(9, 11)}:${date.slice(11, 13)}:${date.slice(13, 15)}Z`,
    );
    await waitUntil(new Date(signedAt + 2000).toISOString());
    expect((await fetch(url)).status).toBe(403);
  });
});
