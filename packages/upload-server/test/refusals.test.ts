import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import sharp from 'sharp';
import { form, json, rawMultipart } from './helpers/http.js';
import { startServer, type TestServer } from './helpers/server.js';
import { forEachDatabase, type Harness, startHarness } from './helpers/suite.js';

// Found from outside: what a hostile or merely careless client gets back, over real sockets.

/** Sends `raw` bytes on a fresh connection and resolves with everything the server answered before it closed. */
function rawExchange(url: string, raw: string | Buffer): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) });
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.end(raw);
  });
}

function parseRaw(answer: string) {
  const [head = '', body = ''] = answer.split('\r\n\r\n');
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers = Object.fromEntries(
    lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
  );
  return { status: Number(statusLine.split(' ')[1]), headers, body };
}

describe('errors answered before routing', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server.close());

  test('oversized headers get a 431 in the error envelope, with nosniff', async () => {
    const answer = parseRaw(
      await rawExchange(server.url, `GET /_health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`),
    );
    expect(answer.status).toBe(431);
    expect(answer.headers['content-type']).toMatch(/^application\/json/);
    expect(answer.headers['x-content-type-options']).toBe('nosniff');
    expect(JSON.parse(answer.body)).toEqual({
      data: null,
      error: { status: 431, name: expect.any(String), message: expect.stringMatching(/header/i), details: {} },
    });
  });

  test('a malformed request gets a 400 in the error envelope, with nosniff', async () => {
    for (const raw of [
      'GET /_health HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n',
      'NOT A REQUEST\r\n\r\n',
      'POST /api/upload HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello',
    ]) {
      const answer = parseRaw(await rawExchange(server.url, raw));
      expect({ raw, status: answer.status }).toEqual({ raw, status: 400 });
      expect(answer.headers['x-content-type-options']).toBe('nosniff');
      expect(JSON.parse(answer.body)).toMatchObject({ data: null, error: { status: 400, name: 'ValidationError' } });
    }
  });

  test('an undecodable URL gets the envelope without echoing it', async () => {
    const res = await fetch(`${server.url}/api/upload/files/%E0%A4%A`);
    expect(res.status).toBe(400);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const body = await json(res);
    expect(body.error.name).toBe('ValidationError');
    expect(body.error.message).not.toContain('%E0');
  });
});

/**
 * A multipart body of one file part of `size` bytes, produced chunk by chunk as a browser uploads: the client is still
 * sending when a server that does not read the body answers and hangs up (fetch then fails with EPIPE).
 */
function streamedUpload(size: number, field = 'files'): RequestInit {
  const boundary = '----refusal-test';
  const head = `--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="big.bin"\r\n`;
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(Buffer.from(`${head}Content-Type: application/octet-stream\r\n\r\n`));
    },
    async pull(controller) {
      await new Promise((resolve) => setImmediate(resolve));
      if (sent >= size) {
        controller.enqueue(Buffer.from(`\r\n--${boundary}--\r\n`));
        controller.close();
        return;
      }
      const n = Math.min(64 * 1024, size - sent);
      sent += n;
      controller.enqueue(Buffer.alloc(n, 7));
    },
  });
  return {
    method: 'POST',
    body,
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
    duplex: 'half',
  } as RequestInit;
}

/** Each refusal a few times: before the drain, a streaming client lost the answer to EPIPE most of the time. */
const TRIES = 4;

forEachDatabase('early refusals while the client is still sending', (kind) => {
  let h: Harness;
  const big = 6 * 1024 * 1024;
  beforeAll(async () => {
    h = await startHarness(kind, { config: { sizeLimit: 16 * 1024 * 1024 } });
  });
  afterAll(() => h.server.close());

  // fetch() sends the whole body; if the server answers and hangs up first, fetch fails with EPIPE or a reset.
  test('replacing a missing id: the client sees the 404, not a broken pipe', async () => {
    for (let i = 0; i < TRIES; i++) {
      const res = await fetch(`${h.url}/api/upload?id=999999`, streamedUpload(big));
      expect(res.status).toBe(404);
      expect((await json(res)).error.message).toBe('file.notFound');
    }
  });

  test('a file in a part with the wrong field name: the client sees the 400', async () => {
    for (let i = 0; i < TRIES; i++) {
      const res = await fetch(`${h.url}/api/upload`, streamedUpload(big, 'attachment'));
      expect(res.status).toBe(400);
      expect((await json(res)).error.message).toMatch(/Unexpected file field "attachment"/);
    }
  });

  test('a file refused by type after its first bytes: the client sees the 415', async () => {
    const strict = await startHarness(kind, { config: { allowedTypes: ['image/*'], sizeLimit: 16 * 1024 * 1024 } });
    try {
      for (let i = 0; i < TRIES; i++) {
        // 0x07 bytes are not an image: refused once the first bytes are sniffed.
        const res = await fetch(`${strict.url}/api/upload`, streamedUpload(big));
        expect(res.status).toBe(415);
      }
      expect(await strict.objects()).toEqual([]);
    } finally {
      await strict.server.close();
    }
  });

  test('a missing token: the client sees the 401', async () => {
    const guarded = await startServer({
      kind,
      config: { tokens: [{ name: 'w', token: 'refusal-test-token-0123456789abcdef' }] },
    });
    try {
      for (let i = 0; i < TRIES; i++) {
        const res = await fetch(`${guarded.url}/api/upload`, streamedUpload(big));
        expect(res.status).toBe(401);
      }
    } finally {
      await guarded.close();
    }
  });
});

forEachDatabase('limits and promises', (kind) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(kind, { config: { sizeLimit: 200_000 } });
  });
  afterAll(() => h.server.close());

  test('an image over sizeLimit gets 413, not 422: the limit wins over the image probe', async () => {
    // Random pixels do not compress: about 480 KB of PNG, over the 200 KB limit, large enough to get formats.
    const noise = await sharp(randomBytes(400 * 400 * 3), { raw: { width: 400, height: 400, channels: 3 } })
      .png()
      .toBuffer();
    expect(noise.length).toBeGreaterThan(200_000);
    const res = await fetch(`${h.url}/api/upload`, {
      method: 'POST',
      body: form([{ filename: 'noise.png', content: noise, type: 'image/png' }]),
    });
    const body = await json(res);
    expect({ status: res.status, name: body.error?.name }).toEqual({ status: 413, name: 'PayloadTooLargeError' });
    expect(body.error.message).toBe('The file is larger than the size limit of 200000 bytes');
    expect(await h.objects()).toEqual([]);
    expect(await h.rowCount()).toBe(0);
  });

  test('POST /api/upload with Content-Type text/plain gets 415, as the README promises', async () => {
    const res = await fetch(`${h.url}/api/upload`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'not a form',
    });
    const body = await json(res);
    expect({ status: res.status, name: body.error?.name }).toEqual({ status: 415, name: 'UnsupportedMediaTypeError' });
    expect(body.error.message).toMatch(/multipart\/form-data/);
  });

  test('a form over its limits (files, fields, the size of a field) is refused naming the limit; nothing is stored', async () => {
    const file = (i: number) => ({ name: 'files', filename: `f${i}.txt`, type: 'text/plain', content: `file ${i}` });
    const field = (i: number) => ({ name: `f${i}`, content: 'x' });
    for (const [parts, status, message] of [
      [Array.from({ length: 101 }, (_, i) => file(i)), 413, 'more than 100 files'],
      [[...Array.from({ length: 101 }, (_, i) => field(i)), file(0)], 413, 'more than 100 fields'],
      [[{ name: 'fileInfo', content: 'x'.repeat(64 * 1024 + 1) }, file(0)], 400, 'The field "fileInfo" is too long'],
    ] as const) {
      const { body, contentType } = rawMultipart([...parts]);
      const res = await fetch(`${h.url}/api/upload`, {
        method: 'POST',
        headers: { 'content-type': contentType },
        body,
      });
      const answer = await json(res);
      expect({ status: res.status, message: answer.error?.message }).toEqual({
        status,
        message: expect.stringContaining(message),
      });
    }
    expect(await h.objects()).toEqual([]);
    expect(await h.rowCount()).toBe(0);
  });

  test('fields[] with an unknown name or a hidden column is a 400 naming it', async () => {
    for (const [query, named] of [
      ['fields[0]=name&fields[1]=nope', 'nope'],
      ['fields[0]=secret_hash', 'secret_hash'],
      ['fields=object_key', 'object_key'],
    ]) {
      for (const path of ['/api/upload/files', '/api/upload/files/page']) {
        const res = await fetch(`${h.url}${path}?${query}`);
        const body = await json(res);
        expect({ query, path, status: res.status }).toEqual({ query, path, status: 400 });
        expect(body.error.message).toContain(`"${named}"`);
      }
    }
    const ok = await fetch(`${h.url}/api/upload/files?fields[0]=name&fields[1]=publishedAt`);
    expect(ok.status).toBe(200);
  });
});
