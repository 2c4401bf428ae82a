import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { CREDENTIALS, type Emulator, REGION, startS3rver } from '../../upload-provider-aws-s3/test/support/emulator.js';
import {
  ensureStrapiApp,
  linkWorkspacePackages,
  type RunningStrapi,
  STRAPI_VERSION,
  startStrapi,
} from './support/strapi-app.js';

// Our providers inside a real Strapi 5 app, created with create-strapi-app at test time (cached between runs outside
// the repository), uploading through Strapi's own REST API: Strapi requires `upload-provider-strapi/strapi` as it
// requires any upload provider, and calls its uploadStream, delete, isPrivate and getSignedUrl.
const MINUTES = 60_000;
let app: { dir: string; created: boolean };
let nodePath: string;
const links = mkdtempSync(join(tmpdir(), 'strapi-app-links-'));
afterAll(() => rmSync(links, { recursive: true, force: true }));

beforeAll(async () => {
  const started = Date.now();
  app = await ensureStrapiApp();
  nodePath = linkWorkspacePackages(links);
  // Reported so cold (created) and warm (cached) runs can be told apart in CI logs.
  process.stdout.write(
    `Strapi ${STRAPI_VERSION} app ${app.created ? 'created' : 'reused'} in ${Math.round((Date.now() - started) / 1000)} s: ${app.dir}\n`,
  );
}, 20 * MINUTES);

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

async function uploadThroughStrapi(strapi: RunningStrapi, bytes: Uint8Array, name: string) {
  const form = new FormData();
  form.append('files', new Blob([bytes], { type: 'text/plain' }), name);
  const res = await fetch(`${strapi.url}/api/upload`, { method: 'POST', body: form });
  const body = await res.text();
  if (res.status !== 201 && res.status !== 200)
    throw new Error(`upload answered ${res.status}: ${body}\n${strapi.output().slice(-3000)}`);
  const [file] = JSON.parse(body) as {
    id: number;
    url: string;
    provider: string;
    provider_metadata: { key: string };
  }[];
  return file!;
}

async function fileThroughStrapi(strapi: RunningStrapi, id: number) {
  const res = await fetch(`${strapi.url}/api/upload/files/${id}`);
  expect(res.status).toBe(200);
  return (await res.json()) as { url: string; isUrlSigned?: boolean; provider_metadata: { key: string } };
}

describe(`upload-provider-aws-s3 inside Strapi ${STRAPI_VERSION} (private bucket on s3rver)`, () => {
  const BUCKET = 'strapi-app';
  let s3: Emulator;
  let strapi: RunningStrapi;
  beforeAll(async () => {
    s3 = await startS3rver([BUCKET]);
    strapi = await startStrapi(
      app.dir,
      {
        provider: 'upload-provider-strapi/strapi',
        providerOptions: {
          provider: 'aws-s3',
          options: {
            bucket: BUCKET,
            region: REGION,
            endpoint: s3.endpoint,
            forcePathStyle: true,
            credentials: CREDENTIALS,
            visibility: 'private',
          },
          urlExpiresIn: 600,
        },
      },
      nodePath,
    );
  }, 5 * MINUTES);
  afterAll(async () => {
    await strapi?.stop();
    await s3?.close();
  });

  test('POST /api/upload streams the file to the bucket; Strapi answers signed URLs that serve the bytes; DELETE removes the object', async () => {
    const bytes = randomBytes(300 * 1024);
    const uploaded = await uploadThroughStrapi(strapi, bytes, 'report.txt');
    expect(uploaded.provider).toBe('upload-provider-strapi/strapi');
    const key = uploaded.provider_metadata.key;
    expect(key).toMatch(/^report_[0-9a-f]+\.txt$/);

    const file = await fileThroughStrapi(strapi, uploaded.id);
    expect(file.isUrlSigned).toBe(true);
    const signed = new URL(file.url);
    expect(signed.origin).toBe(s3.endpoint);
    expect(signed.pathname).toBe(`/${BUCKET}/${key}`);
    expect(signed.searchParams.get('X-Amz-Expires')).toBe('600');
    const served = await fetch(file.url);
    expect(served.status).toBe(200);
    expect(sha256(new Uint8Array(await served.arrayBuffer()))).toBe(sha256(bytes));

    const removed = await fetch(`${strapi.url}/api/upload/files/${uploaded.id}`, { method: 'DELETE' });
    expect(removed.status).toBe(200);
    const gone = await fetch(file.url);
    await gone.body?.cancel();
    expect(gone.status).toBe(404);
  });
});

describe(`upload-provider-local inside Strapi ${STRAPI_VERSION} (public/uploads, served by Strapi)`, () => {
  let strapi: RunningStrapi;
  let root: string;
  beforeAll(async () => {
    // A folder of this run under the app's public/uploads, which Strapi serves at /uploads.
    const folder = `test-${process.pid}-${Date.now()}`;
    root = join(app.dir, 'public', 'uploads', folder);
    strapi = await startStrapi(
      app.dir,
      {
        provider: 'upload-provider-strapi/strapi',
        providerOptions: { provider: 'local', options: { root, baseUrl: `/uploads/${folder}` } },
      },
      nodePath,
    );
  }, 5 * MINUTES);
  afterAll(async () => {
    await strapi?.stop();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  test('POST /api/upload writes the file under public/uploads, Strapi serves it at its URL, DELETE removes it', async () => {
    const bytes = randomBytes(200 * 1024);
    const uploaded = await uploadThroughStrapi(strapi, bytes, 'notes.txt');
    const key = uploaded.provider_metadata.key;
    const onDisk = join(root, key);
    expect(existsSync(onDisk)).toBe(true);
    const file = await fileThroughStrapi(strapi, uploaded.id);
    expect(file.isUrlSigned).toBe(false);
    expect(file.url).toBe(`${new URL(`/uploads/${root.split('/').pop()}/${key}`, 'http://x').pathname}`);
    const served = await fetch(`${strapi.url}${file.url}`);
    expect(served.status).toBe(200);
    expect(sha256(new Uint8Array(await served.arrayBuffer()))).toBe(sha256(bytes));

    const removed = await fetch(`${strapi.url}/api/upload/files/${uploaded.id}`, { method: 'DELETE' });
    expect(removed.status).toBe(200);
    expect(existsSync(onDisk)).toBe(false);
    const gone = await fetch(`${strapi.url}${file.url}`);
    await gone.body?.cancel();
    expect(gone.status).toBe(404);
  });
});
