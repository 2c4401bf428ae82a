import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { memoryProvider, serveMemory } from '../src/index.js';

let server: Awaited<ReturnType<typeof serveMemory>>;
beforeAll(async () => {
  server = await serveMemory();
});
afterAll(() => server.close());

const make = (priv = false) => memoryProvider({ store: server.store, baseUrl: server.baseUrl, private: priv });

function post(
  du: { url: string; fields: Record<string, string>; fileField: string },
  body: string,
  type: string,
  override: Record<string, string> = {},
) {
  const form = new FormData();
  for (const [k, v] of Object.entries({ ...du.fields, ...override })) form.append(k, v);
  form.append(du.fileField, new Blob([body], { type }), 'f');
  return fetch(du.url, { method: 'POST', body: form });
}

describe('createMemoryHandler', () => {
  test('serves a public object at its plain URL with its type, and HEAD without a body', async () => {
    const stored = await make().upload({
      key: 'p/ü 1.json',
      body: Buffer.from('{}'),
      mime: 'application/json',
      name: 'x',
    });
    const res = await fetch(stored.url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.text()).toBe('{}');
    const head = await fetch(stored.url, { method: 'HEAD' });
    expect(head.headers.get('content-length')).toBe('2');
  });

  test('a private object needs a valid signature; a signed download is an attachment under its name', async () => {
    const provider = make(true);
    const stored = await provider.upload({ key: 'secret.txt', body: Buffer.from('s'), mime: 'text/plain', name: 's' });
    expect((await fetch(stored.url)).status).toBe(403);
    const { url } = await provider.signUrl(stored, { downloadName: 'Report é.txt' });
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="Report e.txt"/);
    expect((await fetch(url.replace(/signature=(.)/, (_m, c) => `signature=${c === 'a' ? 'b' : 'a'}`))).status).toBe(
      403,
    );
    expect((await fetch(url.replace('Report', 'Other'))).status).toBe(403);
  });

  test('a direct upload is stored only when the form matches its signed grant', async () => {
    const provider = make();
    const du = await provider.createDirectUpload({ key: 'up/a.png', mime: 'image/*', maxSize: 10 });
    expect((await post(du, 'x'.repeat(11), 'image/png')).status).toBe(413);
    expect((await post(du, 'x', 'application/pdf')).status).toBe(415);
    expect((await post(du, 'x', 'image/png', { key: 'up/b.png' })).status).toBe(403);
    provider.assertMissing('up/a.png');
    provider.assertMissing('up/b.png');
    expect((await post(du, 'png!', 'image/png')).status).toBe(204);
    provider.assertStored('up/a.png', { bytes: 'png!', mime: 'image/png' });
  });

  test('methods other than GET, HEAD and POST are refused with 405', async () => {
    const res = await fetch(`${server.baseUrl}/x`, { method: 'PUT', body: 'x' });
    expect(res.status).toBe(405);
  });
});
