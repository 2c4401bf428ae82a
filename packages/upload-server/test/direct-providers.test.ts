// Direct uploads through the server to the two providers the direct-upload tests (local, s3rver) do not cover, each
// with the real SDK against what stands in for its storage:
// - Cloudinary: the Cloudinary package's stand-in, which checks every signature with its own implementation of
//   Cloudinary's algorithms. Its signed upload parameters cannot cap the size, so the storage accepts an oversized
//   file and the server's confirm step is what refuses it.
// - GCS: the firebase-tools Storage emulator, which ignores POST policies (the gcs package verifies them with the
//   public half of its test key), so here too the confirm is what refuses an oversized file.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { UploadProvider } from 'upload-provider';
import { useTestCloud } from '../../upload-provider-cloudinary/test/support/setup.js';
import { gcsProvider } from '../../upload-provider-gcs/src/index.js';
import { type GcsEmulator, PROJECT_ID, startGcsEmulator } from '../../upload-provider-gcs/test/support/emulator.js';
import { makeServiceAccount } from '../../upload-provider-gcs/test/support/signing.mjs';
import { type Credentials, storageForm } from './helpers/direct.js';
import { json } from './helpers/http.js';
import { startServer, type TestServer } from './helpers/server.js';

const cloud = useTestCloud();
let gcs: GcsEmulator;
beforeAll(async () => {
  gcs = await startGcsEmulator();
});
afterAll(() => gcs?.stop());

const providers: Array<[string, () => UploadProvider]> = [
  ['cloudinary', () => cloud.make({ delivery: 'upload' })],
  [
    'gcs',
    () =>
      gcsProvider({
        bucket: 'direct',
        credentials: makeServiceAccount(PROJECT_ID).credentials,
        baseUrl: gcs.downloadBase('direct'),
      }),
  ],
];

describe.each(providers)('direct uploads to %s through the server', (_name, make) => {
  let server: TestServer;
  let provider: UploadProvider;

  beforeAll(async () => {
    provider = make();
    server = await startServer({ kind: 'sqlite', provider, config: { sizeLimit: 100_000 } });
  });
  afterAll(() => server?.close());

  async function post(path: string, body?: unknown) {
    const res = await fetch(`${server.url}${path}`, {
      method: 'POST',
      ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
    return { status: res.status, body: await json(res) };
  }

  test('credentials, a form POST to the storage, a confirm, then the file is listed and serves its bytes', async () => {
    const bytes = Buffer.from('a,b\n1,2\n');
    const c = (await post('/api/upload/direct', { name: 'table.csv', mime: 'text/csv', size: bytes.length }))
      .body as Credentials;
    const sent = await fetch(c.url, { method: 'POST', body: storageForm(c, bytes, 'text/csv', 'table.csv') });
    expect(sent.status).toBeLessThan(300);
    const done = await post(`/api/upload/direct/${c.uploadId}/complete`);
    expect(done.status).toBe(201);
    const [entity] = done.body as Array<{ id: number; url: string; provider: string }>;
    expect(entity!.provider).toBe(provider.name);
    const listed = await json(await fetch(`${server.url}/api/upload/files/${entity!.id}`));
    expect(listed.id).toBe(entity!.id);
    const served = await fetch(listed.url);
    expect(served.status).toBe(200);
    expect(Buffer.from(await served.arrayBuffer())).toEqual(bytes);
  });

  test('a confirm before anything was posted is a 409 the client can retry', async () => {
    const c = (await post('/api/upload/direct', { name: 'later.csv', mime: 'text/csv', size: 4 })).body as Credentials;
    expect((await post(`/api/upload/direct/${c.uploadId}/complete`)).status).toBe(409);
  });

  test('an upload larger than declared is accepted by the storage, then refused at confirm with 413 and deleted', async () => {
    const c = (await post('/api/upload/direct', { name: 'small.csv', mime: 'text/csv', size: 10 })).body as Credentials;
    const big = Buffer.from('x,y\n'.repeat(50));
    const sent = await fetch(c.url, { method: 'POST', body: storageForm(c, big, 'text/csv', 'small.csv') });
    expect(sent.status).toBeLessThan(300);
    expect((await provider.stat!({ key: c.key }))?.size).toBe(big.length);
    const done = await post(`/api/upload/direct/${c.uploadId}/complete`);
    expect(done.status).toBe(413);
    expect(await provider.stat!({ key: c.key })).toBeNull();
  });
});
