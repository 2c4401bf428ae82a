// What the tus endpoint refuses, and what it leaves behind when it does (nothing): sizes, offsets, content types,
// unknown and finished uploads, types from the first bytes, termination, expiry, and read-only tokens.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { memoryProvider } from 'upload-provider-memory';
import { tempSessionsDir } from '../src/resumable/sessions.js';
import { startServer, type TestServer } from './helpers/server.js';
import { randomFile, tusMetadata, tusRequest, tusUpload } from './helpers/tus.js';

const CHUNK = { 'content-type': 'application/offset+octet-stream' };
const PNG_HEAD = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');

/** Creates an upload by hand and returns its absolute URL. */
async function create(server: TestServer, headers: Record<string, string>, auth: Record<string, string> = {}) {
  const res = await tusRequest(`${server.url}/api/upload/tus`, 'POST', {
    'upload-metadata': tusMetadata({ filename: 'a.bin' }),
    ...auth,
    ...headers,
  });
  expect(res.status).toBe(201);
  return new URL(res.headers.get('location')!, server.url).toString();
}

describe('tus refusals (generic path)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({
      provider: memoryProvider({}),
      config: { sizeLimit: 64 * 1024, deniedTypes: ['text/html'] },
    });
  });
  afterAll(() => server?.close());
  const files = () => tempSessionsDir(server.app.uploads.config.tempDir);
  const tempFileOf = (url: string) => join(files(), url.split('/').pop()!);

  test('an Upload-Length over the size limit is 413 at creation, and nothing is created', async () => {
    const before = existsSync(files()) ? readdirSync(files()).length : 0;
    const res = await tusRequest(`${server.url}/api/upload/tus`, 'POST', {
      'upload-length': String(64 * 1024 + 1),
      'upload-metadata': tusMetadata({ filename: 'a.bin' }),
    });
    expect(res.status).toBe(413);
    expect(existsSync(files()) ? readdirSync(files()).length : 0).toBe(before);
  });

  test('a deferred length is enforced while the bytes stream: past the size limit is 413', async () => {
    const url = await create(server, { 'upload-defer-length': '1' });
    const res = await tusRequest(url, 'PATCH', { ...CHUNK, 'upload-offset': '0' }, randomFile(64 * 1024 + 10));
    expect(res.status).toBe(413);
  });

  test('a PATCH at the wrong offset is 409; a wrong Content-Type 415 in the envelope', async () => {
    const url = await create(server, { 'upload-length': '100' });
    expect((await tusRequest(url, 'PATCH', { ...CHUNK, 'upload-offset': '0' }, randomFile(40))).status).toBe(204);
    const wrong = await tusRequest(url, 'PATCH', { ...CHUNK, 'upload-offset': '10' }, randomFile(10));
    expect(wrong.status).toBe(409);
    const type = await tusRequest(
      url,
      'PATCH',
      { 'content-type': 'text/plain', 'upload-offset': '40' },
      randomFile(10),
    );
    expect(type.status).toBe(415);
    expect(JSON.parse(type.text)).toMatchObject({ data: null, error: { status: 415 } });
    const head = await tusRequest(url, 'HEAD');
    expect(head.headers.get('upload-offset')).toBe('40');
  });

  test('an unknown upload is 404; a finished one 410 to PATCH and DELETE', async () => {
    const unknown = `${server.url}/api/upload/tus/0123456789abcdef0123456789abcdef`;
    expect((await tusRequest(unknown, 'HEAD')).status).toBe(404);
    expect((await tusRequest(unknown, 'PATCH', { ...CHUNK, 'upload-offset': '0' }, randomFile(1))).status).toBe(404);
    const run = await tusUpload(server.url, randomFile(100));
    const done = new URL(run.url, server.url).toString();
    expect((await tusRequest(done, 'PATCH', { ...CHUNK, 'upload-offset': '100' }, new Uint8Array(0))).status).toBe(410);
    expect((await tusRequest(done, 'DELETE')).status).toBe(410);
  });

  test('metadata without a filename is 400 at creation', async () => {
    const res = await tusRequest(`${server.url}/api/upload/tus`, 'POST', { 'upload-length': '10' });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text).error.message).toMatch(/filename/);
  });

  test('a type the lists refuse is 415 at the first bytes, and the upload is terminated', async () => {
    const url = await create(server, { 'upload-length': String(8000) });
    const html = Buffer.alloc(8000, ' ');
    html.write('<!DOCTYPE html><html><body><script>alert(1)</script>');
    const res = await tusRequest(url, 'PATCH', { ...CHUNK, 'upload-offset': '0' }, html.subarray(0, 5000));
    expect(res.status).toBe(415);
    expect(JSON.parse(res.text).error.message).toMatch(/text\/html/);
    expect((await tusRequest(url, 'HEAD')).status).toBe(404);
    expect(existsSync(tempFileOf(url))).toBe(false);
  });

  test('the type is checked again at the end (a first chunk too short to tell)', async () => {
    const url = await create(server, { 'upload-length': String(8000) });
    const html = Buffer.alloc(8000, ' ');
    html.write('<!DOCTYPE html><html><body>');
    expect((await tusRequest(url, 'PATCH', { ...CHUNK, 'upload-offset': '0' }, html.subarray(0, 5))).status).toBe(204);
    const last = await tusRequest(url, 'PATCH', { ...CHUNK, 'upload-offset': '5' }, html.subarray(5));
    expect(last.status).toBe(415);
    expect((await tusRequest(url, 'HEAD')).status).toBe(404);
    expect(existsSync(tempFileOf(url))).toBe(false);
  });

  test('termination removes the temp file and the upload', async () => {
    const url = await create(server, { 'upload-length': '100' });
    await tusRequest(url, 'PATCH', { ...CHUNK, 'upload-offset': '0' }, randomFile(50));
    expect(existsSync(tempFileOf(url))).toBe(true);
    expect((await tusRequest(url, 'DELETE')).status).toBe(204);
    expect(existsSync(tempFileOf(url))).toBe(false);
    expect((await tusRequest(url, 'HEAD')).status).toBe(404);
  });

  test('an incomplete upload expires: Upload-Expires is announced, and the sweep removes its file and row', async () => {
    const url = await create(server, { 'upload-length': '100' });
    const patch = await tusRequest(url, 'PATCH', { ...CHUNK, 'upload-offset': '0' }, randomFile(50));
    const expires = Date.parse(patch.headers.get('upload-expires')!);
    expect(expires).toBeGreaterThan(Date.now() + 23 * 3600_000);
    expect(await server.app.uploads.resumable.expire(Date.now())).toBe(0);
    expect(await server.app.uploads.resumable.expire(expires + 1000)).toBeGreaterThanOrEqual(1);
    expect(existsSync(tempFileOf(url))).toBe(false);
    expect((await tusRequest(url, 'HEAD')).status).toBe(404);
  });
});

describe('tus access', () => {
  const full = 'full-access-token-0123456789';
  const readOnly = 'read-only-token-0123456789';
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({
      config: {
        tokens: [
          { name: 'full', token: full },
          { name: 'reader', token: readOnly, access: 'read-only' },
        ],
      },
    });
  });
  afterAll(() => server?.close());
  const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

  test('no token: 401; a read-only token cannot create, append or terminate', async () => {
    const createHeaders = { 'upload-length': '10', 'upload-metadata': tusMetadata({ filename: 'a.bin' }) };
    expect((await tusRequest(`${server.url}/api/upload/tus`, 'POST', createHeaders)).status).toBe(401);
    expect(
      (await tusRequest(`${server.url}/api/upload/tus`, 'POST', { ...createHeaders, ...bearer(readOnly) })).status,
    ).toBe(403);
    const url = await create(server, { 'upload-length': '10' }, bearer(full));
    const patch = { ...CHUNK, 'upload-offset': '0', ...bearer(readOnly) };
    expect((await tusRequest(url, 'PATCH', patch, randomFile(10))).status).toBe(403);
    expect((await tusRequest(url, 'DELETE', bearer(readOnly))).status).toBe(403);
    expect((await tusRequest(url, 'HEAD', bearer(readOnly))).headers.get('upload-offset')).toBe('0');
    const ok = await tusRequest(
      url,
      'PATCH',
      { ...CHUNK, 'upload-offset': '0', ...bearer(full) },
      PNG_HEAD.subarray(0, 10),
    );
    expect(ok.status).toBe(200);
  });
});
