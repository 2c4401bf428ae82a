import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { DirectUpload } from 'upload-provider';
import {
  filesUnder,
  type Harness,
  multipartBody,
  type RawResponse,
  rawRequest,
  removeObjects,
  startHarness,
} from './helpers.js';

// How the handler reads the multipart bodies browsers send: what a form parser must get right, on the wire.
let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());
afterEach(() => removeObjects(h));

const BOUNDARY = 'XyZ-boundary-0123';
const fieldsOf = (du: DirectUpload) => Object.entries(du.fields).map(([name, value]) => ({ name, value }));

/** Sends `body` in writes of `size` bytes, each flushed before the next, so the parser sees every split. */
function postInChunks(body: Buffer, size: number, boundary = BOUNDARY): Promise<RawResponse> {
  const { hostname, port } = new URL(h.origin);
  return new Promise((resolve, reject) => {
    const req = request({
      host: hostname,
      port,
      path: '/uploads',
      method: 'POST',
      headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}`, 'Content-Length': body.length },
    });
    req.setNoDelay(true);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    const write = async () => {
      for (let i = 0; i < body.length; i += size) {
        if (!req.write(body.subarray(i, i + size))) await new Promise((r) => req.once('drain', r));
      }
      req.end();
    };
    void write();
  });
}

const post = (body: Buffer, contentType = `multipart/form-data; boundary=${BOUNDARY}`) =>
  rawRequest(h.origin, '/uploads', { method: 'POST', headers: { 'Content-Type': contentType }, body });

const messageOf = (res: RawResponse) => JSON.parse(res.body.toString()).error.message as string;

describe('direct-upload forms', () => {
  it('stores the exact bytes of a file full of near-miss delimiters, however the body is split', async () => {
    const tricky = Buffer.concat([
      Buffer.from(`\r\n--${BOUNDARY.slice(0, -1)}X\r\n`),
      randomBytes(3000),
      Buffer.from(`\r\n-${BOUNDARY}\r\n--`),
      Buffer.from('\r\n'),
    ]);
    for (const size of [1, 7, 64, 1000]) {
      const du = await h.provider.createDirectUpload({ key: `t${size}.bin`, mime: 'application/*', maxSize: 10_000 });
      const { body } = multipartBody(
        [...fieldsOf(du), { name: 'file', value: tricky, filename: 't.bin', type: 'application/x-test' }],
        BOUNDARY,
      );
      const res = await postInChunks(body, size);
      expect([size, res.status]).toEqual([size, 201]);
      const stored = Buffer.from(await (await fetch(h.provider.url({ key: `t${size}.bin` }))).arrayBuffer());
      expect(stored.equals(tricky)).toBe(true);
      expect((await h.provider.stat({ key: `t${size}.bin` }))?.mime).toBe('application/x-test');
    }
  });

  it('keeps a UTF-8 file name, an escaped quote, and an RFC 5987 filename* as the download name', async () => {
    const names: Array<[string, string]> = [
      ['filename="日本語 ünï.txt"', '日本語 ünï.txt'],
      ['filename="na\\"me.txt"', 'na"me.txt'],
      [`filename*=UTF-8''r%C3%A9sum%C3%A9.txt`, 'résumé.txt'],
    ];
    for (const [i, [disposition, expected]] of names.entries()) {
      const du = await h.provider.createDirectUpload({ key: `n${i}.txt`, mime: 'text/plain', maxSize: 100 });
      const head = Object.entries(du.fields)
        .map(([k, v]) => `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`)
        .join('');
      const body = Buffer.from(
        `${head}--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; ${disposition}\r\n` +
          `Content-Type: text/plain\r\n\r\nhi\r\n--${BOUNDARY}--\r\n`,
      );
      const res = await post(body);
      expect([disposition, res.status]).toEqual([disposition, 201]);
      const served = await fetch(h.provider.url({ key: `n${i}.txt` }));
      await served.arrayBuffer();
      const header = served.headers.get('content-disposition') ?? '';
      expect([disposition, header]).toEqual([
        disposition,
        expect.stringContaining(`filename*=UTF-8''${encodeURIComponent(expected).replace(/'/g, '%27')}`),
      ]);
    }
  });

  it('skips a preamble before the first boundary', async () => {
    const du = await h.provider.createDirectUpload({ key: 'pre.txt', mime: 'text/plain', maxSize: 100 });
    const { body } = multipartBody(
      [...fieldsOf(du), { name: 'file', value: 'abc', filename: 'x', type: 'text/plain' }],
      BOUNDARY,
    );
    const res = await post(Buffer.concat([Buffer.from('ignored preamble\r\n'), body]));
    expect(res.status).toBe(201);
    expect(await (await fetch(h.provider.url({ key: 'pre.txt' }))).text()).toBe('abc');
  });

  it('refuses a body that ends inside the file with 400, and keeps nothing', async () => {
    const du = await h.provider.createDirectUpload({ key: 'cut.bin', mime: 'application/*', maxSize: 1 << 20 });
    const { body } = multipartBody(
      [...fieldsOf(du), { name: 'file', value: randomBytes(100_000), filename: 'c', type: 'application/x-test' }],
      BOUNDARY,
    );
    const res = await post(body.subarray(0, body.length - 40));
    expect(res.status).toBe(400);
    expect(messageOf(res)).toMatch(/ended early/);
    expect(filesUnder(h.root)).toEqual([]);
  });

  it('refuses parts without a name, malformed part headers, bodies without the boundary, too many fields or parts', async () => {
    const cases: Array<[string, Buffer, RegExp]> = [
      ['no name', Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data\r\n\r\nx\r\n--${BOUNDARY}--`), /name/],
      ['bad header', Buffer.from(`--${BOUNDARY}\r\nnonsense\r\n\r\nx\r\n--${BOUNDARY}--`), /malformed|header/i],
      ['no boundary', Buffer.from('no boundary at all'), /ended early|boundary/],
      [
        'too many fields',
        multipartBody(
          Array.from({ length: 65 }, (_, i) => ({ name: `f${i}`, value: 'x' })),
          BOUNDARY,
        ).body,
        /more than 64 fields/,
      ],
      [
        'endless parts without a name',
        Buffer.from(`--${BOUNDARY}\r\nX-Nothing: here\r\n\r\nx\r\n`.repeat(200) + `--${BOUNDARY}--\r\n`),
        /more than 128 parts/,
      ],
    ];
    for (const [what, body, message] of cases) {
      const res = await post(body);
      expect([what, res.status, messageOf(res)]).toEqual([what, 400, expect.stringMatching(message)]);
    }
    expect(filesUnder(h.root)).toEqual([]);
  });
});
