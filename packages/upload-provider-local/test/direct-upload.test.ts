import { createHash, randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { DirectUpload } from 'upload-provider';
import { localProvider } from '../src/index.js';
import {
  filesUnder,
  type Harness,
  multipartBody,
  rawRequest,
  removeObjects,
  SECRET,
  sleep,
  startHarness,
} from './helpers.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());
// Every case stores at most under its own key; afterwards the root must hold exactly what succeeded.
afterEach(() => removeObjects(h));

/** Posts the credentials' fields (with overrides), then the file, as a browser's FormData does. */
function post(du: DirectUpload, bytes: Uint8Array, type: string, override: Record<string, string> = {}) {
  const form = new FormData();
  for (const [k, v] of Object.entries({ ...du.fields, ...override })) form.append(k, v);
  form.append(du.fileField, new Blob([bytes], { type }), 'upload.bin');
  return fetch(du.url, { method: 'POST', body: form });
}

/**
 * Posts a form whose file has `size` bytes the way a browser does: it keeps writing until the server answers, then
 * stops. Resolves with the answer and how much of the body was written by then.
 */
function postSlowly(
  harness: Harness,
  du: DirectUpload,
  size: number,
): Promise<{ status: number; connection: string | undefined; sent: number; total: number }> {
  const { body } = multipartBody(
    [
      ...Object.entries(du.fields).map(([name, value]) => ({ name, value })),
      { name: 'file', value: Buffer.alloc(size), filename: 'f.bin', type: 'application/octet-stream' },
    ],
    'drain-boundary',
  );
  const { hostname, port } = new URL(harness.origin);
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = false;
    const req = request({
      host: hostname,
      port,
      path: '/uploads',
      method: 'POST',
      headers: { 'Content-Type': 'multipart/form-data; boundary=drain-boundary', 'Content-Length': body.length },
    });
    req.on('response', (res) => {
      answered = true;
      res.resume();
      res.on('end', () => {
        resolve({ status: res.statusCode!, connection: res.headers.connection, sent, total: body.length });
        req.destroy();
      });
    });
    req.on('error', (error) => {
      if (!answered) reject(error);
    });
    const writeMore = () => {
      while (!answered && sent < body.length) {
        const chunk = body.subarray(sent, sent + 64 * 1024);
        sent += chunk.length;
        if (!req.write(chunk)) {
          req.once('drain', writeMore);
          return;
        }
      }
      if (sent === body.length) req.end();
    };
    writeMore();
  });
}

async function refused(res: Response, status: number, message: RegExp): Promise<void> {
  const body = (await res.json()) as { error: { code: string; message: string } };
  expect([res.status, body.error.message]).toEqual([status, expect.stringMatching(message)]);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  // Nothing stored, nothing left in the temporary folder.
  expect(filesUnder(h.root)).toEqual([]);
}

describe('direct uploads', () => {
  it('a conforming POST is stored under the pinned key with its type and name, answered 201', async () => {
    const du = await h.provider.createDirectUpload({
      key: 'in/doc.txt',
      mime: 'text/plain',
      maxSize: 1000,
      name: 'Doc.txt',
    });
    expect(du.url).toBe(`${h.origin}/uploads`);
    const bytes = Buffer.from('hello from a browser');
    const res = await post(du, bytes, 'text/plain');
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ key: 'in/doc.txt', size: bytes.length, mime: 'text/plain' });
    expect(await h.provider.stat({ key: 'in/doc.txt' })).toMatchObject({ size: bytes.length, mime: 'text/plain' });
    const served = await fetch(h.provider.url({ key: 'in/doc.txt' }));
    expect(await served.text()).toBe(bytes.toString());
    expect(served.headers.get('content-disposition')).toContain('filename="Doc.txt"');
  });

  it('a family type admits a member of the family and stores its real type', async () => {
    const du = await h.provider.createDirectUpload({ key: 'img/a.png', mime: 'image/*', maxSize: 1000 });
    const res = await post(du, randomBytes(100), 'image/png');
    expect(res.status).toBe(201);
    expect((await h.provider.stat({ key: 'img/a.png' }))?.mime).toBe('image/png');
  });

  it('"*/*" admits a file of any type and stores its real type', async () => {
    const du = await h.provider.createDirectUpload({ key: 'any.pdf', mime: '*/*', maxSize: 1000 });
    expect(du.fields['Content-Type']).toBeUndefined();
    const res = await post(du, Buffer.from('%PDF-1.7'), 'application/pdf');
    expect(res.status).toBe(201);
    expect((await h.provider.stat({ key: 'any.pdf' }))?.mime).toBe('application/pdf');
  });

  it('streams a multi-MiB file to disk byte for byte', async () => {
    const bytes = randomBytes(6 * 1024 * 1024 + 3);
    const du = await h.provider.createDirectUpload({
      key: 'big.bin',
      mime: 'application/octet-stream',
      maxSize: 8 << 20,
    });
    const res = await post(du, bytes, 'application/octet-stream');
    expect(res.status).toBe(201);
    const served = Buffer.from(await (await fetch(h.provider.url({ key: 'big.bin' }))).arrayBuffer());
    expect(createHash('sha256').update(served).digest('hex')).toBe(createHash('sha256').update(bytes).digest('hex'));
  });

  it('accepts an exact size limit and a minimum, and refuses one byte over or under', async () => {
    const du = await h.provider.createDirectUpload({
      key: 'exact.bin',
      mime: 'application/octet-stream',
      maxSize: 1000,
      minSize: 10,
    });
    expect((await post(du, randomBytes(1000), 'application/octet-stream')).status).toBe(201);
    await h.provider.delete({ key: 'exact.bin' });
    await refused(await post(du, randomBytes(1001), 'application/octet-stream'), 413, /larger than 1000 bytes/);
    await refused(await post(du, randomBytes(9), 'application/octet-stream'), 400, /at least 10/);
  });

  it('cuts off a far larger file while it streams, answers 413 and keeps nothing', async () => {
    const du = await h.provider.createDirectUpload({
      key: 'huge.bin',
      mime: 'application/octet-stream',
      maxSize: 1024,
    });
    await refused(await post(du, randomBytes(4 * 1024 * 1024), 'application/octet-stream'), 413, /larger than 1024/);
  });

  it('refuses another type: a changed Content-Type field, or a file outside the family', async () => {
    const exact = await h.provider.createDirectUpload({ key: 'x.png', mime: 'image/png', maxSize: 1000 });
    await refused(
      await post(exact, Buffer.from('<svg/>'), 'image/svg+xml', { 'Content-Type': 'image/svg+xml' }),
      415,
      /only image\/png/,
    );
    const family = await h.provider.createDirectUpload({ key: 'y.img', mime: 'image/*', maxSize: 1000 });
    await refused(
      await post(family, Buffer.from('%PDF'), 'application/pdf'),
      415,
      /only image\/\*; the file is application\/pdf/,
    );
  });

  it('refuses a changed key, and stores nothing at either key', async () => {
    const du = await h.provider.createDirectUpload({ key: 'pinned.txt', mime: 'text/plain', maxSize: 100 });
    await refused(
      await post(du, Buffer.from('x'), 'text/plain', { key: 'elsewhere.txt' }),
      403,
      /only write the key "pinned.txt"/,
    );
    await refused(await post(du, Buffer.from('x'), 'text/plain', { key: '../../etc/x' }), 403, /only write the key/);
  });

  it('refuses expired credentials', async () => {
    const du = await h.provider.createDirectUpload({
      key: 'late.txt',
      mime: 'text/plain',
      maxSize: 100,
      expiresIn: 0.2,
    });
    await sleep(Math.max(0, du.expiresAt.getTime() - Date.now()) + 50);
    await refused(await post(du, Buffer.from('late'), 'text/plain'), 403, /expired at/);
  });

  it('refuses a tampered policy or signature, and a policy signed with another secret', async () => {
    const du = await h.provider.createDirectUpload({ key: 't.txt', mime: 'text/plain', maxSize: 10 });
    const policy = JSON.parse(Buffer.from(du.fields.policy!, 'base64url').toString());
    const bigger = Buffer.from(JSON.stringify({ ...policy, maxSize: 10 ** 9 })).toString('base64url');
    await refused(
      await post(du, Buffer.from('x'), 'text/plain', { policy: bigger }),
      403,
      /does not match its signature/,
    );
    const sig = du.fields.signature!;
    const flipped = (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1);
    await refused(await post(du, Buffer.from('x'), 'text/plain', { signature: flipped }), 403, /does not match/);
    const other = localProvider({ root: h.root, baseUrl: `${h.origin}/uploads`, secret: 'z'.repeat(40) });
    const foreign = await other.createDirectUpload({ key: 't.txt', mime: 'text/plain', maxSize: 10 });
    await refused(await post(foreign, Buffer.from('x'), 'text/plain'), 403, /does not match/);
  });

  it('refuses malformed forms with 4xx and a message saying what to change', async () => {
    const du = await h.provider.createDirectUpload({ key: 'm.txt', mime: 'text/plain', maxSize: 100 });
    const send = (body: Buffer, contentType: string) =>
      rawRequest(h.origin, '/uploads', { method: 'POST', headers: { 'Content-Type': contentType }, body });
    const cases: Array<[string, { body: Buffer; contentType: string }, number, RegExp]> = [
      ['not multipart', { body: Buffer.from('{}'), contentType: 'application/json' }, 415, /multipart\/form-data/],
      [
        'file first',
        multipartBody([
          { name: 'file', value: 'x', filename: 'a.txt', type: 'text/plain' },
          { name: 'policy', value: du.fields.policy! },
        ]),
        400,
        /"policy" and "signature"/,
      ],
      [
        'no file',
        multipartBody([
          { name: 'policy', value: du.fields.policy! },
          { name: 'signature', value: du.fields.signature! },
        ]),
        400,
        /no "file" part/,
      ],
      [
        'other file field',
        multipartBody([
          { name: 'policy', value: du.fields.policy! },
          { name: 'signature', value: du.fields.signature! },
          { name: 'upload', value: 'x', filename: 'a', type: 'text/plain' },
        ]),
        400,
        /form field "file"/,
      ],
      [
        'duplicate field',
        multipartBody([
          { name: 'key', value: 'm.txt' },
          { name: 'key', value: 'n.txt' },
        ]),
        400,
        /appears twice/,
      ],
      ['huge field', multipartBody([{ name: 'policy', value: 'p'.repeat(100_000) }]), 413, /larger than/],
    ];
    for (const [what, form, status, message] of cases) {
      const res = await send(form.body, form.contentType);
      const body = JSON.parse(res.body.toString());
      expect([what, res.status, body.error.message]).toEqual([what, status, expect.stringMatching(message)]);
    }
    const garbled = await send(Buffer.from('no boundary here'), 'multipart/form-data; boundary=abc');
    expect(garbled.status).toBe(400);
    expect(filesUnder(h.root)).toEqual([]);
  });

  it('an upload the client abandons midway leaves nothing on disk', async () => {
    const du = await h.provider.createDirectUpload({
      key: 'cut.bin',
      mime: 'application/octet-stream',
      maxSize: 10 << 20,
    });
    const { body, contentType } = multipartBody([
      ...Object.entries(du.fields).map(([name, value]) => ({ name, value })),
      { name: 'file', value: randomBytes(4 << 20), filename: 'cut.bin', type: 'application/octet-stream' },
    ]);
    const { hostname, port } = new URL(h.origin);
    const req = request({
      host: hostname,
      port,
      path: '/uploads',
      method: 'POST',
      headers: { 'Content-Type': contentType, 'Content-Length': body.length },
    });
    req.on('error', () => undefined);
    req.write(body.subarray(0, 2 << 20));
    // Wait until the server has begun writing the temporary file, then hang up.
    const tmp = `${h.root}/.upload-provider-local/tmp`;
    while (filesUnder(tmp).length === 0) await sleep(5);
    req.destroy();
    // The server notices the reset and removes the temporary file; poll for it (no fixed wait).
    for (let i = 0; i < 400 && filesUnder(h.root).length > 0; i++) await sleep(10);
    expect(filesUnder(h.root)).toEqual([]);
  });

  it('reads the rest of a refused body before answering, so a client still sending sees the 413', async () => {
    const du = await h.provider.createDirectUpload({
      key: 'drain.bin',
      mime: 'application/octet-stream',
      maxSize: 1000,
    });
    const outcome = await postSlowly(h, du, 6 << 20);
    expect(outcome.status).toBe(413);
    // Every byte was written: the server kept reading (and discarding) until the body ended, then answered.
    expect(outcome.sent).toBe(outcome.total);
    expect(filesUnder(h.root)).toEqual([]);
  });

  it('beyond drainLimitBytes it answers and hangs up instead of reading on', async () => {
    const small = await startHarness({}, { drainLimitBytes: 256 * 1024 });
    try {
      const du = await small.provider.createDirectUpload({
        key: 'drain.bin',
        mime: 'application/octet-stream',
        maxSize: 1000,
      });
      const outcome = await postSlowly(small, du, 32 << 20);
      expect(outcome.status).toBe(413);
      expect(outcome.connection).toBe('close');
      expect(outcome.sent).toBeLessThan(outcome.total);
      expect(filesUnder(small.root)).toEqual([]);
    } finally {
      await small.close();
    }
  });

  it('answers CORS preflights and exposes its answers to other origins', async () => {
    const pre = await rawRequest(h.origin, '/uploads', {
      method: 'OPTIONS',
      headers: {
        Origin: 'https://app.example',
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'content-type',
      },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers['access-control-allow-origin']).toBe('*');
    expect(pre.headers['access-control-allow-methods']).toContain('POST');
    expect(pre.headers['access-control-allow-headers']).toBe('content-type');
    const du = await h.provider.createDirectUpload({ key: 'cors.txt', mime: 'text/plain', maxSize: 10 });
    const form = new FormData();
    for (const [k, v] of Object.entries(du.fields)) form.append(k, v);
    form.append('file', new Blob(['x'], { type: 'text/plain' }), 'x.txt');
    const res = await fetch(du.url, { method: 'POST', body: form, headers: { Origin: 'https://app.example' } });
    expect(res.status).toBe(201);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
  });
});

describe('CORS with a list of origins', () => {
  it('allows the listed origins only', async () => {
    const listed = await startHarness({}, { corsOrigins: ['https://app.example'] });
    try {
      const ask = (origin: string) =>
        rawRequest(listed.origin, '/uploads', {
          method: 'OPTIONS',
          headers: { Origin: origin, 'Access-Control-Request-Method': 'POST' },
        });
      expect((await ask('https://app.example')).headers['access-control-allow-origin']).toBe('https://app.example');
      const other = await ask('https://evil.example');
      expect(other.headers['access-control-allow-origin']).toBeUndefined();
      expect(other.headers.vary).toBe('Origin');
    } finally {
      await listed.close();
    }
  });
});

describe('direct uploads without a secret', () => {
  it('are refused with 403', async () => {
    const open = await startHarness({ secret: undefined });
    try {
      const { body, contentType } = multipartBody([{ name: 'file', value: 'x', filename: 'x', type: 'text/plain' }]);
      const res = await rawRequest(open.origin, '/uploads', {
        method: 'POST',
        headers: { 'Content-Type': contentType },
        body,
      });
      expect(res.status).toBe(403);
      expect(JSON.parse(res.body.toString()).error.message).toContain('secret');
      expect(SECRET.length).toBeGreaterThanOrEqual(32);
    } finally {
      await open.close();
    }
  });
});
