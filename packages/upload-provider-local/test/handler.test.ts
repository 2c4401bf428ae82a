import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { contentDisposition } from 'upload-provider';
import { createLocalHandler, type LocalProvider, localProvider } from '../src/index.js';
import { type Harness, rawRequest, SECRET, sleep, startHarness } from './helpers.js';

/** The code and message of an answer in the error envelope (the code travels in `details`). */
async function errorOf(res: Response): Promise<{ code: string; message: string }> {
  const { error } = (await res.json()) as { error: { message: string; details: { code: string } } };
  return { code: error.details.code, message: error.message };
}

/** Changes one character of the signature, keeping it well-formed. */
function tamper(url: string): string {
  const u = new URL(url);
  const sig = u.searchParams.get('signature')!;
  u.searchParams.set('signature', (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1));
  return u.toString();
}

describe('public mode', () => {
  let h: Harness;
  const bytes = randomBytes(10_000);
  beforeAll(async () => {
    h = await startHarness();
    await h.provider.upload({ key: 'docs/report.bin', body: bytes, mime: 'application/pdf', name: 'Q3 report.pdf' });
    await h.provider.upload({
      key: 'page.html',
      body: Buffer.from('<script>alert(1)</script>'),
      mime: 'text/html',
      name: 'page.html',
    });
  });
  afterAll(() => h.close());

  it('serves a file with its type, length, disposition, validators and safety headers', async () => {
    const res = await fetch(`${h.origin}/uploads/docs/report.bin`);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(bytes)).toBe(true);
    expect(res.headers.get('content-type')).toBe('application/pdf');
    expect(res.headers.get('content-length')).toBe('10000');
    expect(res.headers.get('content-disposition')).toBe(
      `inline; filename="Q3 report.pdf"; filename*=UTF-8''Q3%20report.pdf`,
    );
    expect(res.headers.get('etag')).toMatch(/^"[0-9a-f-]+"$/);
    expect(res.headers.get('last-modified')).toMatch(/GMT$/);
    expect(res.headers.get('accept-ranges')).toBe('bytes');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toBe("default-src 'none'; sandbox");
  });

  it('serves uploaded HTML with a sandboxing CSP so its script cannot run on this origin', async () => {
    const res = await fetch(`${h.origin}/uploads/page.html`);
    expect(res.headers.get('content-type')).toBe('text/html');
    expect(res.headers.get('content-security-policy')).toContain('sandbox');
    await res.arrayBuffer();
  });

  it('HEAD answers the headers without a body', async () => {
    const res = await rawRequest(h.origin, '/uploads/docs/report.bin', { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers['content-length']).toBe('10000');
    expect(res.body.length).toBe(0);
  });

  it('answers ranges with 206 and Content-Range, and unsatisfiable ones with 416', async () => {
    const path = '/uploads/docs/report.bin';
    const mid = await rawRequest(h.origin, path, { headers: { Range: 'bytes=100-199' } });
    expect(mid.status).toBe(206);
    expect(mid.headers['content-range']).toBe('bytes 100-199/10000');
    expect(mid.body.equals(bytes.subarray(100, 200))).toBe(true);
    const open = await rawRequest(h.origin, path, { headers: { Range: 'bytes=9990-' } });
    expect(open.body.equals(bytes.subarray(9990))).toBe(true);
    const suffix = await rawRequest(h.origin, path, { headers: { Range: 'bytes=-5' } });
    expect(suffix.headers['content-range']).toBe('bytes 9995-9999/10000');
    expect(suffix.body.equals(bytes.subarray(9995))).toBe(true);
    const past = await rawRequest(h.origin, path, { headers: { Range: 'bytes=20000-' } });
    expect(past.status).toBe(416);
    expect(past.headers['content-range']).toBe('bytes */10000');
    // Several ranges are allowed to be answered with the whole file.
    const multi = await rawRequest(h.origin, path, { headers: { Range: 'bytes=0-1,5-6' } });
    expect(multi.status).toBe(200);
    expect(multi.body.length).toBe(10_000);
  });

  it('If-Range with a stale validator serves the whole file', async () => {
    const res = await rawRequest(h.origin, '/uploads/docs/report.bin', {
      headers: { Range: 'bytes=0-9', 'If-Range': '"stale"' },
    });
    expect(res.status).toBe(200);
    expect(res.body.length).toBe(10_000);
  });

  it('answers If-None-Match with the current ETag with 304, and a stale one with 200', async () => {
    const first = await fetch(`${h.origin}/uploads/docs/report.bin`);
    const etag = first.headers.get('etag')!;
    await first.arrayBuffer();
    const again = await rawRequest(h.origin, '/uploads/docs/report.bin', { headers: { 'If-None-Match': etag } });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    expect(again.headers.etag).toBe(etag);
    const stale = await rawRequest(h.origin, '/uploads/docs/report.bin', { headers: { 'If-None-Match': '"old"' } });
    expect(stale.status).toBe(200);
    const since = await rawRequest(h.origin, '/uploads/docs/report.bin', {
      headers: { 'If-Modified-Since': first.headers.get('last-modified')! },
    });
    expect(since.status).toBe(304);
  });

  it('a replaced file gets a new ETag', async () => {
    await h.provider.upload({ key: 'swap.txt', body: Buffer.from('one'), mime: 'text/plain', name: 's' });
    const a = await rawRequest(h.origin, '/uploads/swap.txt');
    await h.provider.upload({ key: 'swap.txt', body: Buffer.from('two'), mime: 'text/plain', name: 's' });
    const b = await rawRequest(h.origin, '/uploads/swap.txt', { headers: { 'If-None-Match': String(a.headers.etag) } });
    expect(b.status).toBe(200);
    expect(b.body.toString()).toBe('two');
  });

  it('serves an empty file', async () => {
    await h.provider.upload({ key: 'empty.txt', body: new Uint8Array(0), mime: 'text/plain', name: 'e' });
    const res = await rawRequest(h.origin, '/uploads/empty.txt');
    expect(res.status).toBe(200);
    expect(res.headers['content-length']).toBe('0');
  });

  it('serves unicode keys through their percent-encoded URL', async () => {
    const stored = await h.provider.upload({
      key: 'ünï cödé/日本語 name.txt',
      body: Buffer.from('hi'),
      mime: 'text/plain',
      name: '日本語.txt',
    });
    const res = await fetch(stored.url);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('hi');
  });

  it('a deleted file answers 404', async () => {
    const stored = await h.provider.upload({ key: 'gone.txt', body: Buffer.from('x'), mime: 'text/plain', name: 'g' });
    await h.provider.delete(stored);
    const res = await fetch(stored.url);
    expect(res.status).toBe(404);
    expect(await errorOf(res)).toEqual({ code: 'NOT_FOUND', message: 'not found' });
  });

  it('refuses hostile paths before touching the disk and never serves a file outside the root', async () => {
    const hostile = [
      '/uploads/../../etc/passwd',
      '/uploads/%2e%2e/%2e%2e/etc/passwd',
      '/uploads/..%2f..%2fetc%2fpasswd',
      '/uploads/%2E%2E%5C%2E%2E%5Cetc%5Cpasswd',
      '/uploads/docs/%00report.bin',
      '/uploads/%ef%bc%8e%ef%bc%8e/etc/passwd', // fullwidth dots normalise to ".."
      '/uploads//etc/passwd',
      '/uploads/docs/../../../etc/passwd',
      '/uploads/%',
      '/uploads/.upload-provider-local/tmp/x',
    ];
    for (const path of hostile) {
      const res = await rawRequest(h.origin, path);
      expect([400, 404]).toContain(res.status);
      expect(res.body.toString()).not.toContain('root:');
      expect(JSON.parse(res.body.toString()).error.details.code).toMatch(/INVALID_INPUT|NOT_FOUND/);
    }
  });

  it('does not serve the metadata sidecars or temporary files', async () => {
    const res = await rawRequest(h.origin, '/uploads/.upload-provider-local/meta');
    expect(res.status).toBe(400);
  });

  it('falls through (resolves false) for paths outside its base path', async () => {
    for (const path of ['/', '/upload', '/uploadsx/a', '/other/uploads/a', '/uploads']) {
      const res = await rawRequest(h.origin, path);
      if (path === '/uploads')
        expect(res.status).toBe(405); // the direct-upload path only takes POST
      else expect(res.status).toBe(418);
    }
  });

  it('refuses other methods with 405 and Allow', async () => {
    const res = await rawRequest(h.origin, '/uploads/docs/report.bin', { method: 'PUT', body: 'x' });
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('GET, HEAD, OPTIONS');
  });

  it('a signed URL works on a public file and its download name wins', async () => {
    const signed = await h.provider.signUrl({ key: 'docs/report.bin' }, { downloadName: 'Résumé "final".pdf' });
    const res = await fetch(signed.url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toBe(contentDisposition('attachment', 'Résumé "final".pdf'));
    expect(res.headers.get('content-disposition')).toContain(`filename*=UTF-8''R%C3%A9sum%C3%A9%20%22final%22.pdf`);
    expect(res.headers.get('cache-control')).toMatch(/^private, max-age=\d+$/);
    await res.arrayBuffer();
    const tampered = await fetch(tamper(signed.url));
    expect(tampered.status).toBe(403);
  });
});

describe('private mode', () => {
  let h: Harness;
  const bytes = randomBytes(2048);
  beforeAll(async () => {
    h = await startHarness({ private: true });
    await h.provider.upload({ key: 'secret/a.bin', body: bytes, mime: 'application/octet-stream', name: 'a.bin' });
    await h.provider.upload({ key: 'secret/b.bin', body: Buffer.from('b'), mime: 'text/plain', name: 'b.bin' });
  });
  afterAll(() => h.close());

  it('is private, and a plain URL answers 404', async () => {
    expect(h.provider.isPrivate()).toBe(true);
    const res = await fetch(h.provider.url({ key: 'secret/a.bin' }));
    expect(res.status).toBe(404);
    expect((await errorOf(res)).message).toContain('signed URL');
  });

  it('a signed URL serves the file, with ranges and no shared caching', async () => {
    const { url } = await h.provider.signUrl({ key: 'secret/a.bin' }, { expiresIn: 60 });
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(bytes)).toBe(true);
    expect(res.headers.get('cache-control')).toMatch(/^private/);
    const ranged = await fetch(url, { headers: { Range: 'bytes=0-9' } });
    expect(ranged.status).toBe(206);
    expect(Buffer.from(await ranged.arrayBuffer()).equals(bytes.subarray(0, 10))).toBe(true);
  });

  it('refuses a tampered signature, expiry, key, download name or disposition with 403 and a message', async () => {
    const { url } = await h.provider.signUrl(
      { key: 'secret/a.bin' },
      { expiresIn: 60, downloadName: 'a.bin', disposition: 'attachment' },
    );
    const variants: Array<[string, (u: URL) => void]> = [
      ['signature', (u) => u.searchParams.set('signature', tamper(url).split('signature=')[1]!)],
      ['expires', (u) => u.searchParams.set('expires', String(Number(u.searchParams.get('expires')) + 1000))],
      ['key', (u) => (u.pathname = u.pathname.replace('a.bin', 'b.bin'))],
      ['name', (u) => u.searchParams.set('name', 'evil.html')],
      ['disposition', (u) => u.searchParams.set('disposition', 'inline')],
      ['no expires', (u) => u.searchParams.delete('expires')],
      ['garbage signature', (u) => u.searchParams.set('signature', 'x')],
    ];
    for (const [what, change] of variants) {
      const u = new URL(url);
      change(u);
      const res = await fetch(u);
      expect([what, res.status]).toEqual([what, 403]);
      const body = { error: await errorOf(res) };
      expect(body.error.code).toBe('ACCESS_DENIED');
      expect(body.error.message).toMatch(/signature|expires/);
    }
  });

  it('refuses an expired signed URL with 403 saying when it expired', async () => {
    const signed = await h.provider.signUrl({ key: 'secret/a.bin' }, { expiresIn: 0.2 });
    expect((await fetch(signed.url)).status).toBe(200);
    await sleep(Math.max(0, signed.expiresAt.getTime() - Date.now()) + 50);
    const res = await fetch(signed.url);
    expect(res.status).toBe(403);
    expect((await errorOf(res)).message).toContain(`expired at ${signed.expiresAt.toISOString()}`);
  });

  it('a signature made with another secret is refused', async () => {
    const other = localProvider({
      root: h.root,
      baseUrl: `${h.origin}/uploads`,
      private: true,
      secret: 'y'.repeat(32),
    });
    const res = await fetch((await other.signUrl({ key: 'secret/a.bin' })).url);
    expect(res.status).toBe(403);
  });

  it('a signed URL for a missing file answers 404', async () => {
    const res = await fetch((await h.provider.signUrl({ key: 'secret/none.bin' })).url);
    expect(res.status).toBe(404);
  });
});

describe('the handler with a prefix and a path baseUrl', () => {
  it('maps URLs to keys inside the prefix', async () => {
    const h = await startHarness({ prefix: 'tenant-a', baseUrl: '/files/' });
    try {
      const stored = await h.provider.upload({ key: 'x.txt', body: Buffer.from('x'), mime: 'text/plain', name: 'x' });
      expect(stored.url).toBe('/files/x.txt');
      const res = await rawRequest(h.origin, stored.url);
      expect(res.status).toBe(200);
      expect((await rawRequest(h.origin, '/uploads/x.txt')).status).toBe(418);
    } finally {
      await h.close();
    }
  });
});

describe('createLocalHandler', () => {
  it('refuses a provider that is not a local one', () => {
    expect(() => createLocalHandler({ name: 'x' } as unknown as LocalProvider)).toThrow(/localProvider/);
  });

  it('handles() tells by path alone whether a request is the handler’s', () => {
    const handler = createLocalHandler(localProvider({ root: '/tmp/never-used', secret: SECRET }));
    const req = (url: string) => ({ url }) as IncomingMessage;
    expect(handler.handles(req('/uploads/a.txt'))).toBe(true);
    expect(handler.handles(req('/uploads?x'))).toBe(true);
    expect(handler.handles(req('/uploadsx'))).toBe(false);
    expect(handler.handles(req('/api/upload'))).toBe(false);
  });
});
