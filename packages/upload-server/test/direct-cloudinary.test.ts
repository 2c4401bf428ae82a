// Direct uploads through the server to Cloudinary, whose signed upload parameters cannot cap the size: the storage
// accepts an oversized file, so the server's confirm step is what refuses it. The real `cloudinary` SDK talks to the
// Cloudinary package's local stand-in (it checks every signature with its own implementation of Cloudinary's
// algorithms; see packages/upload-provider-cloudinary/test/support/fake-cloudinary.ts).
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { UploadProvider } from 'upload-provider';
import { useTestCloud } from '../../upload-provider-cloudinary/test/support/setup.js';
import { json } from './helpers/http.js';
import { startServer, type TestServer } from './helpers/server.js';

interface Credentials {
  uploadId: string;
  url: string;
  fields: Record<string, string>;
  fileField: string;
  key: string;
}

const cloud = useTestCloud();
let server: TestServer;
let provider: UploadProvider;

beforeAll(async () => {
  provider = cloud.make({ delivery: 'upload' });
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

function storageForm(c: Credentials, bytes: Uint8Array, type: string, name: string): FormData {
  const f = new FormData();
  for (const [k, v] of Object.entries(c.fields)) f.append(k, v);
  f.append(c.fileField, new Blob([bytes], { type }), name);
  return f;
}

describe('direct uploads to Cloudinary through the server', () => {
  test('credentials, a signed form POST to Cloudinary, a confirm, then the file is listed and serves its bytes', async () => {
    const bytes = Buffer.from('a,b\n1,2\n');
    const c = (await post('/api/upload/direct', { name: 'table.csv', mime: 'text/csv', size: bytes.length }))
      .body as Credentials;
    expect(c.fields.signature).toMatch(/^[0-9a-f]{40,64}$/);
    const sent = await fetch(c.url, { method: 'POST', body: storageForm(c, bytes, 'text/csv', 'table.csv') });
    expect(sent.status).toBe(200);
    const done = await post(`/api/upload/direct/${c.uploadId}/complete`);
    expect(done.status).toBe(201);
    const [entity] = done.body as Array<{ id: number; url: string; size: number; provider: string }>;
    expect(entity!.provider).toBe('cloudinary');
    const listed = await json(await fetch(`${server.url}/api/upload/files/${entity!.id}`));
    expect(listed.url).toBe(entity!.url);
    const served = await fetch(entity!.url);
    expect(served.status).toBe(200);
    expect(Buffer.from(await served.arrayBuffer())).toEqual(bytes);
  });

  test('an upload larger than declared is accepted by Cloudinary, then refused at confirm with 413 and deleted', async () => {
    const c = (await post('/api/upload/direct', { name: 'small.csv', mime: 'text/csv', size: 10 })).body as Credentials;
    const big = Buffer.from('x,y\n'.repeat(50));
    const sent = await fetch(c.url, { method: 'POST', body: storageForm(c, big, 'text/csv', 'small.csv') });
    expect(sent.status).toBe(200);
    expect((await provider.stat!({ key: c.key }))?.size).toBe(big.length);
    const done = await post(`/api/upload/direct/${c.uploadId}/complete`);
    expect(done.status).toBe(413);
    expect(await provider.stat!({ key: c.key })).toBeNull();
    const list = await json(await fetch(`${server.url}/api/upload/files`));
    expect(list).toEqual([expect.objectContaining({ name: 'table.csv' })]);
  });
});
