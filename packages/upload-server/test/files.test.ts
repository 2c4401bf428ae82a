import { once } from 'node:events';
import { readdir } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { sql } from 'kysely';
import { form, json } from './helpers/http.js';
import { databases, startServer, type TestServer } from './helpers/server.js';
import { type Harness, startHarness } from './helpers/suite.js';

const TOKEN = 'files-test-token-full-access-0123456789';
const READ_TOKEN = 'files-test-token-read-only-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };

async function rowCount(server: TestServer): Promise<number> {
  const { rows } = await sql<{ n: number }>`select count(*) as n from files`.execute(server.app.uploads.db);
  return Number(rows[0]?.n ?? 0);
}

/** Files the local provider holds (each file here is one object: no images, so no formats). */
async function storedObjects(server: TestServer): Promise<number> {
  const root = join(server.dir, 'uploads');
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile() && !join(e.parentPath, e.name).includes('.upload-provider-local')).length;
}

async function upload(server: TestServer, filename: string, content: string | Uint8Array, type = 'text/plain') {
  const res = await fetch(`${server.url}/api/files`, {
    method: 'POST',
    headers: auth,
    body: form([{ name: 'file', filename, content, type }]),
  });
  return { status: res.status, body: await json(res) };
}

// A remote server on 127.0.0.1 for from-url: the server under test reaches it only when the allow-list says so.
let remote: Server;
let remoteUrl: string;
const remoteBig = Buffer.alloc(300_000, 'z');
beforeAll(async () => {
  remote = createServer((req, res) => {
    if (req.url === '/report.csv') {
      res.setHeader('content-type', 'text/csv');
      res.end('a,b\n1,2\n');
    } else if (req.url === '/big') {
      res.end(remoteBig);
    } else if (req.url === '/slow') {
      res.write('partial');
    } else if (req.url === '/to-metadata') {
      res.statusCode = 302;
      res.setHeader('location', 'http://169.254.169.254/latest/meta-data/');
      res.end();
    } else if (req.url === '/needs-auth') {
      res.statusCode = req.headers.authorization === 'Bearer remote' ? 200 : 401;
      res.end('secret report');
    } else {
      res.statusCode = 500;
      res.end();
    }
  });
  remote.listen(0, '127.0.0.1');
  await once(remote, 'listening');
  remoteUrl = `http://127.0.0.1:${(remote.address() as AddressInfo).port}`;
});
afterAll(() => {
  remote.closeAllConnections();
  remote.close();
});

for (const kind of databases()) {
  describe(`files by secret [${kind}]`, () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startServer({
        kind,
        config: {
          sizeLimit: 200_000,
          tokens: [
            { name: 'full', token: TOKEN, access: 'full-access' },
            { name: 'reader', token: READ_TOKEN, access: 'read-only' },
          ],
          fromUrl: { allow: ['127.0.0.1/32'], timeoutMs: 1000, maxRedirects: 3 },
          // Downloads here use secrets as public links; secret-downloads.test.ts covers the default (a token).
          publicSecretLinks: true,
        },
      });
    });
    afterAll(() => server.close());

    test('POST /api/files stores a file and answers its id and secret once', async () => {
      const { status, body } = await upload(server, 'notes.txt', 'hello by secret');
      expect(status).toBe(201);
      expect(body).toEqual({
        id: expect.any(Number),
        secret: expect.stringMatching(/^[A-Za-z0-9_-]{32}$/),
        name: 'notes.txt',
        contentType: 'text/plain',
        contentLength: 15,
      });
      // The secret itself is not stored, only its digest.
      const { rows } = await sql<{ secret_hash: string }>`select secret_hash from files where id = ${body.id}`.execute(
        server.app.uploads.db,
      );
      expect(rows[0]?.secret_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(rows[0]?.secret_hash).not.toContain(body.secret);
    });

    test('GET /api/files/:secret streams the file without a token, with ETag, nosniff and a disposition', async () => {
      const { body } = await upload(server, 'notes.txt', 'hello by secret');
      const res = await fetch(`${server.url}/api/files/${body.secret}`);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe('hello by secret');
      expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
      expect(res.headers.get('content-length')).toBe('15');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('content-disposition')).toMatch(/^inline; filename="notes.txt"/);
      expect(res.headers.get('etag')).toMatch(/^"[A-Za-z0-9_-]+"$/);
      expect(res.headers.get('accept-ranges')).toBe('bytes');
      const head = await fetch(`${server.url}/api/files/${body.secret}`, { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(head.headers.get('content-length')).toBe('15');
      expect(head.headers.get('etag')).toBe(res.headers.get('etag'));
      expect(await head.text()).toBe('');
    });

    test('Range gives 206 with Content-Range; past the end gives 416; If-Range with another tag gives 200', async () => {
      const { body } = await upload(server, 'digits.txt', '0123456789');
      const url = `${server.url}/api/files/${body.secret}`;
      const part = await fetch(url, { headers: { range: 'bytes=2-5' } });
      expect(part.status).toBe(206);
      expect(part.headers.get('content-range')).toBe('bytes 2-5/10');
      expect(await part.text()).toBe('2345');
      const suffix = await fetch(url, { headers: { range: 'bytes=-3' } });
      expect(await suffix.text()).toBe('789');
      const open = await fetch(url, { headers: { range: 'bytes=7-' } });
      expect(await open.text()).toBe('789');
      const beyond = await fetch(url, { headers: { range: 'bytes=10-20' } });
      expect(beyond.status).toBe(416);
      expect(beyond.headers.get('content-range')).toBe('bytes */10');
      const stale = await fetch(url, { headers: { range: 'bytes=2-5', 'if-range': '"another"' } });
      expect(stale.status).toBe(200);
      expect(await stale.text()).toBe('0123456789');
    });

    test('If-None-Match with the ETag gives 304', async () => {
      const { body } = await upload(server, 'etag.txt', 'cache me');
      const url = `${server.url}/api/files/${body.secret}`;
      const first = await fetch(url);
      const etag = first.headers.get('etag')!;
      await first.arrayBuffer();
      const again = await fetch(url, { headers: { 'if-none-match': etag } });
      expect(again.status).toBe(304);
      const other = await fetch(url, { headers: { 'if-none-match': '"something-else"' } });
      expect(other.status).toBe(200);
      await other.arrayBuffer();
    });

    test('HTML and SVG are served as attachments, never inline', async () => {
      const html = await upload(
        server,
        'page.html',
        '<!doctype html><html><body><script>alert(1)</script></body></html>',
        'text/html',
      );
      expect(html.status).toBe(201);
      const svg = await upload(
        server,
        'logo.svg',
        '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="1" height="1"/></svg>',
        'image/svg+xml',
      );
      expect(svg.status).toBe(201);
      for (const { body } of [html, svg]) {
        const res = await fetch(`${server.url}/api/files/${body.secret}`);
        expect(res.headers.get('content-disposition')).toMatch(/^attachment;/);
        expect(res.headers.get('content-security-policy')).toContain('sandbox');
        await res.arrayBuffer();
      }
    });

    test('an unknown secret and a malformed one get the same 404', async () => {
      const unknown = await fetch(`${server.url}/api/files/${'A'.repeat(32)}`);
      const malformed = await fetch(`${server.url}/api/files/not-a-secret%00`);
      const short = await fetch(`${server.url}/api/files/abc`);
      expect(unknown.status).toBe(404);
      expect(malformed.status).toBe(404);
      expect(short.status).toBe(404);
      const bodies = [await unknown.text(), await malformed.text(), await short.text()];
      expect(new Set(bodies).size).toBe(1);
      expect(JSON.parse(bodies[0]!).error.status).toBe(404);
    });

    test('uploading needs a full-access token; "Token <t>" works beside "Bearer <t>"', async () => {
      const body = () => form([{ name: 'file', filename: 'a.txt', content: 'a', type: 'text/plain' }]);
      expect((await fetch(`${server.url}/api/files`, { method: 'POST', body: body() })).status).toBe(401);
      const read = await fetch(`${server.url}/api/files`, {
        method: 'POST',
        headers: { authorization: `Bearer ${READ_TOKEN}` },
        body: body(),
      });
      expect(read.status).toBe(403);
      const token = await fetch(`${server.url}/api/files`, {
        method: 'POST',
        headers: { authorization: `Token ${TOKEN}` },
        body: body(),
      });
      expect(token.status).toBe(201);
    });

    test('bad uploads: no file, a wrong field, two files, too large; nothing is left behind', async () => {
      const before = await rowCount(server);
      const post = (data: FormData | string, headers: Record<string, string> = {}) =>
        fetch(`${server.url}/api/files`, { method: 'POST', headers: { ...auth, ...headers }, body: data });
      const empty = new FormData();
      empty.append('note', 'no file here');
      const none = await post(empty);
      expect(none.status).toBe(400);
      expect((await json(none)).error.message).toMatch(/part named "file"/);
      const wrong = await post(form([{ name: 'files', filename: 'a.txt', content: 'a' }]));
      expect(wrong.status).toBe(400);
      expect((await json(wrong)).error.message).toMatch(/"file"/);
      const two = await post(
        form([
          { name: 'file', filename: 'a.txt', content: 'a' },
          { name: 'file', filename: 'b.txt', content: 'b' },
        ]),
      );
      expect(two.status).toBe(400);
      const big = await post(form([{ name: 'file', filename: 'big.bin', content: new Uint8Array(250_000) }]));
      expect(big.status).toBe(413);
      const notMultipart = await post(JSON.stringify({ file: 'x' }), { 'content-type': 'application/json' });
      expect(notMultipart.status).toBe(400);
      expect(await rowCount(server)).toBe(before);
      expect(await storedObjects(server)).toBe(before);
    });

    test('POST /api/files/sign-urls signs many secrets; the URLs download the file', async () => {
      const a = (await upload(server, 'a.txt', 'first file')).body;
      const b = (await upload(server, 'b.txt', 'second file')).body;
      const res = await fetch(`${server.url}/api/files/sign-urls`, {
        method: 'POST',
        headers: { authorization: `Bearer ${READ_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ secrets: [a.secret, b.secret, 'B'.repeat(32)] }),
      });
      expect(res.status).toBe(200);
      const { items } = await json(res);
      expect(items).toHaveLength(3);
      expect(items[2]).toEqual({ secret: 'B'.repeat(32), url: null, expiresAt: null, error: 'Not Found' });
      const expires = Date.parse(items[0].expiresAt);
      // 60 minutes by default (within the few seconds this test takes).
      expect(expires - Date.now()).toBeGreaterThan(59 * 60 * 1000);
      expect(expires - Date.now()).toBeLessThanOrEqual(60 * 60 * 1000);
      expect(await (await fetch(items[0].url)).text()).toBe('first file');
      expect(await (await fetch(items[1].url)).text()).toBe('second file');
    });

    test('a tampered signed URL is refused', async () => {
      const a = (await upload(server, 'a.txt', 'guarded')).body;
      const res = await fetch(`${server.url}/api/files/sign-urls`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ secrets: [a.secret] }),
      });
      const [item] = (await json(res)).items;
      const url = new URL(item.url);
      const later = new URL(url);
      later.searchParams.set('expires', String(Number(url.searchParams.get('expires')) + 3_600_000));
      expect((await fetch(later)).status).toBe(403);
      const forged = new URL(url);
      const sig = forged.searchParams.get('signature')!;
      forged.searchParams.set('signature', `${sig.slice(0, -2)}${sig.endsWith('AA') ? 'BB' : 'AA'}`);
      expect((await fetch(forged)).status).toBe(403);
    });

    test('sign-urls errors: not an array, not strings, empty, more than 100', async () => {
      const post = (body: unknown) =>
        fetch(`${server.url}/api/files/sign-urls`, {
          method: 'POST',
          headers: { ...auth, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
      for (const body of [{}, { secrets: 'x' }, { secrets: [1, 2] }, { secrets: [] }]) {
        expect((await post(body)).status).toBe(400);
      }
      const many = await post({ secrets: Array.from({ length: 101 }, () => 'C'.repeat(32)) });
      expect(many.status).toBe(400);
      expect((await json(many)).error.message).toMatch(/at most 100/);
      expect((await fetch(`${server.url}/api/files/sign-urls`, { method: 'POST' })).status).toBe(401);
    });

    const fromUrl = (body: unknown) =>
      fetch(`${server.url}/api/files/from-url`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });

    test('POST /api/files/from-url fetches an allowed URL and stores it under a secret', async () => {
      const res = await fromUrl({ url: `${remoteUrl}/report.csv` });
      expect(res.status).toBe(201);
      const body = await json(res);
      expect(body).toMatchObject({ name: 'report.csv', contentType: 'text/csv', contentLength: 8 });
      expect(await (await fetch(`${server.url}/api/files/${body.secret}`)).text()).toBe('a,b\n1,2\n');
      const named = await json(await fromUrl({ url: `${remoteUrl}/report.csv`, name: 'Q3 numbers.csv' }));
      expect(named.name).toBe('Q3 numbers.csv');
    });

    test('from-url passes the caller headers and refuses hop-by-hop ones', async () => {
      const ok = await fromUrl({ url: `${remoteUrl}/needs-auth`, headers: { Authorization: 'Bearer remote' } });
      expect(ok.status).toBe(201);
      const without = await fromUrl({ url: `${remoteUrl}/needs-auth` });
      expect(without.status).toBe(502);
      const host = await fromUrl({ url: `${remoteUrl}/report.csv`, headers: { Host: 'internal' } });
      expect(host.status).toBe(400);
      expect((await json(host)).error.message).toMatch(/Host/);
    });

    test('from-url errors: 400 bad input, 403 refused addresses, 413 too large, 504 too slow; nothing stored', async () => {
      const before = await rowCount(server);
      const cases: Array<[unknown, number, RegExp]> = [
        [{}, 400, /url is required/],
        [{ url: 'file:///etc/passwd' }, 400, /http/],
        [{ url: `${remoteUrl}/report.csv`, method: 'DELETE' }, 400, /GET or POST/],
        [{ url: `${remoteUrl}/report.csv`, name: '' }, 400, /name/],
        // Allowed: 127.0.0.1/32 only, so the rest of 127/8 is still loopback to refuse.
        [{ url: `http://127.0.0.2:${new URL(remoteUrl).port}/report.csv` }, 403, /loopback/],
        [{ url: `http://[::1]:${new URL(remoteUrl).port}/report.csv` }, 403, /loopback/],
        [{ url: 'http://169.254.169.254/latest/meta-data/' }, 403, /link-local/],
        [{ url: 'http://10.0.0.1/x' }, 403, /private/],
        [{ url: `${remoteUrl}/to-metadata` }, 403, /link-local/],
        [{ url: `${remoteUrl}/big` }, 413, /size limit/],
        [{ url: `${remoteUrl}/slow` }, 504, /did not answer/],
        [{ url: `${remoteUrl}/missing` }, 502, /answered 500/],
      ];
      for (const [body, status, message] of cases) {
        const res = await fromUrl(body);
        const answer = await json(res);
        expect({ body, status: res.status }).toEqual({ body, status });
        expect(answer.error.message).toMatch(message);
      }
      expect(await rowCount(server)).toBe(before);
      expect(await storedObjects(server)).toBe(before);
    });
  });
}

describe('from-url without an allow-list', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ config: {} });
  });
  afterAll(() => server.close());

  test('loopback is refused (the remote server on 127.0.0.1 is never asked)', async () => {
    let asked = 0;
    remote.on('request', () => {
      asked += 1;
    });
    const res = await fetch(`${server.url}/api/files/from-url`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ url: `${remoteUrl}/report.csv` }),
    });
    expect(res.status).toBe(403);
    expect(asked).toBe(0);
  });
});

describe('a provider that cannot stream reads', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness('sqlite');
  });
  afterAll(() => h.server.close());

  test('GET /api/files/:secret redirects to a short-lived signed URL that names the file', async () => {
    const res = await fetch(`${h.url}/api/files`, {
      method: 'POST',
      body: form([{ name: 'file', filename: 'a.txt', content: 'redirected', type: 'text/plain' }]),
    });
    const { secret } = await json(res);
    const got = await fetch(`${h.url}/api/files/${secret}`, { redirect: 'manual' });
    expect(got.status).toBe(302);
    expect(got.headers.get('location')).toMatch(/^http:\/\/files\.test\/.*a.*\.txt\?signed=1$/);
    expect(got.headers.get('cache-control')).toBe('no-store');
  });
});
