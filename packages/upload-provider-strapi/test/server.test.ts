import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { type Emulator, startS3rver } from '../../upload-provider-aws-s3/test/support/emulator.js';
import { form, json } from '../../upload-server/test/helpers/http.js';
import { startServer, type TestServer } from '../../upload-server/test/helpers/server.js';
import { type StrapiBridgeOptions, strapiProvider } from '../src/index.js';
import { strapiS3Options, useStrapiCloud } from './support/backends.js';
import { SECRET } from './support/bridge-server.js';

// Strapi's own providers from npm behind upload-server's Strapi REST routes: the real server (buildApp, SQLite),
// with the bridge as its provider, mounting the bridge's handler at /uploads as it mounts the local provider's.
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const dir = mkdtempSync(join(tmpdir(), 'strapi-bridge-server-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function useServer(options: () => StrapiBridgeOptions) {
  const state: { server?: TestServer } = {};
  beforeAll(async () => {
    state.server = await startServer({ provider: strapiProvider({ secret: SECRET, ...options() }) });
  });
  afterAll(() => state.server?.close());
  return () => state.server!;
}

async function uploadText(s: TestServer, content: string | Uint8Array, filename: string, type = 'text/plain') {
  const res = await fetch(`${s.url}/api/upload`, { method: 'POST', body: form([{ filename, content, type }]) });
  expect(res.status).toBe(201);
  const [file] = await json(res);
  return file;
}

describe('@strapi/provider-upload-local through the server', () => {
  const publicDir = join(dir, 'public');
  mkdirSync(join(publicDir, 'uploads'), { recursive: true });
  const server = useServer(() => ({ provider: '@strapi/provider-upload-local', publicDir }));

  test('an upload lands in public/uploads, is served at the /uploads URL Strapi gave it, and DELETE removes it', async () => {
    const s = server();
    const bytes = randomBytes(250_000);
    const file = await uploadText(s, bytes, 'data.bin', 'application/octet-stream');
    expect(file.provider).toBe('strapi');
    expect(file.url).toMatch(/^\/uploads\/data-[0-9a-f]+_[0-9a-f]{20}\.bin$/);
    expect(file.provider_metadata).toMatchObject({ url: file.url });
    expect(existsSync(join(publicDir, file.url))).toBe(true);
    const got = await fetch(`${s.url}${file.url}`);
    expect(got.status).toBe(200);
    expect(sha256(new Uint8Array(await got.arrayBuffer()))).toBe(sha256(bytes));
    const del = await fetch(`${s.url}/api/upload/files/${file.id}`, { method: 'DELETE' });
    expect(del.status).toBe(200);
    expect(readdirSync(join(publicDir, 'uploads'))).toEqual([]);
    const gone = await fetch(`${s.url}${file.url}`);
    expect(gone.status).toBe(404);
  });

  test('HTML claimed as PNG is recorded as text/html and never runs when served from public/', async () => {
    const s = server();
    const file = await uploadText(s, '<!doctype html><html><script>alert(1)</script></html>', 'cat.png', 'image/png');
    expect(file.mime).toBe('text/html');
    // Served by its extension, as Strapi serves public/, but never sniffed and sandboxed: the script cannot run.
    const got = await fetch(`${s.url}${file.url}`);
    expect(got.headers.get('content-type')).not.toMatch(/html/);
    expect(got.headers.get('x-content-type-options')).toBe('nosniff');
    expect(got.headers.get('content-security-policy')).toContain('sandbox');
    await got.body?.cancel();
  });

  test("configured by name, as upload.config.json does: provider 'strapi' loads this package", async () => {
    const s = await startServer({
      config: { provider: { name: 'strapi', options: { provider: '@strapi/provider-upload-local', publicDir } } },
    });
    try {
      const health = await json(await fetch(`${s.url}/_health`));
      expect(health.provider).toBe('strapi');
      const file = await uploadText(s, 'configured', 'configured.txt');
      const got = await fetch(`${s.url}${file.url}`);
      expect(await got.text()).toBe('configured');
      expect((await fetch(`${s.url}/api/upload/files/${file.id}`, { method: 'DELETE' })).status).toBe(200);
    } finally {
      await s.close();
    }
  });

  test('nothing outside public/ is served, however the path is spelt', async () => {
    const s = server();
    for (const path of ['/uploads/../../etc/passwd', '/uploads/%2e%2e/%2e%2e/etc/passwd', '/uploads/.link']) {
      const res = await fetch(`${s.url}${path}`);
      await res.body?.cancel();
      expect(res.status === 404 || res.status === 403).toBe(true);
    }
  });
});

describe('@strapi/provider-upload-aws-s3 (private bucket on s3rver) through the server', () => {
  const BUCKET = 'strapi-server';
  let s3: Emulator;
  beforeAll(async () => {
    s3 = await startS3rver([BUCKET]);
  });
  afterAll(() => s3.close());
  const server = useServer(() => ({
    provider: '@strapi/provider-upload-aws-s3',
    publicDir: join(dir, 'unused-public'),
    providerOptions: strapiS3Options(s3.endpoint, BUCKET, 'private'),
  }));

  test('entities carry signed links that redirect to a presigned URL serving the bytes, with the type the server found', async () => {
    const s = server();
    const file = await uploadText(s, '<!doctype html><html><body>hi</body></html>', 'page.png', 'image/png');
    expect(file.isUrlSigned).toBe(true);
    expect(file.provider_metadata.url).toMatch(
      new RegExp(`^${s3.endpoint}/${BUCKET}/page-[0-9a-f]+_[0-9a-f]{20}\\.png$`),
    );
    const link = new URL(file.url, s.url);
    expect(link.pathname).toBe('/uploads/.link');
    const hop = await fetch(link, { redirect: 'manual' });
    expect(hop.status).toBe(302);
    const presigned = new URL(hop.headers.get('location')!);
    expect(presigned.origin).toBe(s3.endpoint);
    expect(presigned.searchParams.get('X-Amz-Signature')).toBeTruthy();
    const got = await fetch(presigned);
    expect(got.status).toBe(200);
    // S3 stores the type the server detected from the bytes, not the client's claim.
    expect(got.headers.get('content-type')).toBe('text/html');
    expect(await got.text()).toContain('hi');

    const del = await fetch(`${s.url}/api/upload/files/${file.id}`, { method: 'DELETE' });
    expect(del.status).toBe(200);
    const gone = await fetch(presigned);
    await gone.body?.cancel();
    expect(gone.status).toBe(404);
  });
});

describe('@strapi/provider-upload-cloudinary (Cloudinary stand-in) through the server', () => {
  const cloud = useStrapiCloud('strapi-server-cloud');
  const server = useServer(() => ({
    provider: '@strapi/provider-upload-cloudinary',
    publicDir: join(dir, 'unused-public'),
    emptyFiles: false,
    providerOptions: cloud.providerOptions(),
  }));

  test('an upload is stored by the stand-in (signature checked), served at its delivery URL, and DELETE destroys it', async () => {
    const s = server();
    const bytes = randomBytes(40_000);
    const file = await uploadText(s, bytes, 'blob.bin', 'application/octet-stream');
    expect(file.provider_metadata.provider_metadata).toMatchObject({ resource_type: expect.any(String) });
    const publicId = file.provider_metadata.provider_metadata.public_id as string;
    expect(cloud.server.assets.size).toBe(1);
    const got = await fetch(file.url);
    expect(got.status).toBe(200);
    expect(sha256(new Uint8Array(await got.arrayBuffer()))).toBe(sha256(bytes));
    const del = await fetch(`${s.url}/api/upload/files/${file.id}`, { method: 'DELETE' });
    expect(del.status).toBe(200);
    expect(cloud.server.destroys.map((d) => d.public_id)).toContain(publicId);
    expect(cloud.server.assets.size).toBe(0);
  });
});
