import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { form, json } from './helpers/http.js';
import { databases, startServer, type TestServer } from './helpers/server.js';

const FULL = 'secret-test-token-full-access-0123456789';
const READ = 'secret-test-token-read-only-0123456789';

async function uploadBySecret(server: TestServer, content: string): Promise<string> {
  const res = await fetch(`${server.url}/api/files`, {
    method: 'POST',
    headers: { authorization: `Bearer ${FULL}` },
    body: form([{ name: 'file', filename: 'note.txt', content, type: 'text/plain' }]),
  });
  expect(res.status).toBe(201);
  return (await json(res)).secret;
}

const tokens = [
  { name: 'full', token: FULL, access: 'full-access' as const },
  { name: 'reader', token: READ, access: 'read-only' as const },
];

for (const kind of databases()) {
  describe(`downloads by secret when tokens exist [${kind}]`, () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startServer({ kind, config: { tokens } });
    });
    afterAll(() => server.close());

    test('need a read token: without one GET and HEAD are 401; Bearer and Token both work', async () => {
      const secret = await uploadBySecret(server, 'only for token holders');
      const url = `${server.url}/api/files/${secret}`;
      const anonymous = await fetch(url);
      expect(anonymous.status).toBe(401);
      expect((await json(anonymous)).error.name).toBe('UnauthorizedError');
      expect((await fetch(url, { method: 'HEAD' })).status).toBe(401);
      expect((await fetch(url, { headers: { authorization: 'Bearer wrong-token-0123456789abcdef' } })).status).toBe(
        401,
      );
      const bearer = await fetch(url, { headers: { authorization: `Bearer ${READ}` } });
      expect(bearer.status).toBe(200);
      expect(await bearer.text()).toBe('only for token holders');
      const token = await fetch(url, { headers: { authorization: `Token ${READ}` } });
      expect(token.status).toBe(200);
      expect(await token.text()).toBe('only for token holders');
    });
  });
}

describe('downloads by secret with publicSecretLinks', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ config: { tokens, publicSecretLinks: true } });
  });
  afterAll(() => server.close());

  test('a secret is a public capability link: no token needed, even though tokens exist', async () => {
    const secret = await uploadBySecret(server, 'anyone with the link');
    const res = await fetch(`${server.url}/api/files/${secret}`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('anyone with the link');
    // The rest of the API still needs its token.
    expect((await fetch(`${server.url}/api/upload/files`)).status).toBe(401);
  });

  test('every malformed secret, however long or oddly encoded, gets the 404 of an unknown one, echoing nothing', async () => {
    const unknown = await fetch(`${server.url}/api/files/${'A'.repeat(32)}`);
    const expected = await unknown.text();
    expect(unknown.status).toBe(404);
    for (const bad of ['B'.repeat(600), 'C'.repeat(5000), '%zz', 'a%2Fb', '%E0%A4%A', '..%00', 'x'.repeat(31)]) {
      const res = await fetch(`${server.url}/api/files/${bad}`);
      const text = await res.text();
      expect({ bad: bad.slice(0, 20), status: res.status, text }).toEqual({
        bad: bad.slice(0, 20),
        status: 404,
        text: expected,
      });
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('cache-control')).toBe('no-store');
      const head = await fetch(`${server.url}/api/files/${bad}`, { method: 'HEAD' });
      expect(head.status).toBe(404);
    }
  });
});
