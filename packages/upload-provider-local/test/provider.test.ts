import { createHash, randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { isProviderError, type ProviderErrorCode } from 'upload-provider';
import localProviderDefault, { type LocalProvider, localProvider } from '../src/index.js';
import { filesUnder, SECRET } from './helpers.js';

async function codeOf(promise: Promise<unknown> | (() => unknown)): Promise<ProviderErrorCode | string> {
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (error) {
    return isProviderError(error) ? error.code : `not a ProviderError: ${String(error)}`;
  }
  return 'resolved';
}

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

let root: string;
let provider: LocalProvider;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'upl-local-unit-'));
  provider = localProvider({ root, secret: SECRET });
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('exports', () => {
  it('exports the factory as default and by name, named "local"', () => {
    expect(localProviderDefault).toBe(localProvider);
    expect(localProvider.providerName).toBe('local');
    expect(provider.name).toBe('local');
    expect(Object.values(provider.capabilities).every((v) => v === true)).toBe(true);
  });
});

describe('options', () => {
  it('names every bad option at once', () => {
    let error: unknown;
    try {
      localProvider({ root: '', private: true, urlExpiresIn: 10 ** 9, baseUrl: 'ftp://x', prefix: '../up' } as never);
    } catch (e) {
      error = e;
    }
    expect(isProviderError(error, 'INVALID_OPTIONS')).toBe(true);
    const message = (error as Error).message;
    for (const option of ['root', 'secret', 'urlExpiresIn', 'baseUrl', 'prefix']) expect(message).toContain(option);
    expect(message).toContain('[local]');
  });

  it('refuses a short secret, unknown options and a root that is missing', () => {
    expect(localProvider.check({ root, secret: 'short' }).map((p) => p.option)).toEqual(['secret']);
    expect(localProvider.check({ root, baseURL: '/x' }).length).toBe(1);
    expect(localProvider.check({}).map((p) => p.option)).toEqual(['root']);
    expect(localProvider.check({ root })).toEqual([]);
  });

  it('creates a missing root on the first upload', async () => {
    const nested = join(root, 'a', 'b');
    const p = localProvider({ root: nested });
    expect(existsSync(nested)).toBe(false);
    await p.upload({ key: 'x.txt', body: Buffer.from('x'), mime: 'text/plain', name: 'x.txt' });
    expect(readFileSync(join(nested, 'x.txt'), 'utf8')).toBe('x');
  });
});

describe('upload', () => {
  it('stores bytes under the key (inside the prefix) and returns size, mime, url and an etag', async () => {
    const p = localProvider({ root, prefix: 'media/2026', baseUrl: 'https://cdn.example.com/files/' });
    const body = randomBytes(5000);
    const stored = await p.upload({ key: 'photos/été.png', body, mime: 'image/png', name: 'été.png' });
    expect(stored).toMatchObject({ key: 'photos/été.png', size: 5000, mime: 'image/png' });
    expect(stored.url).toBe('https://cdn.example.com/files/photos/%C3%A9t%C3%A9.png');
    expect(stored.etag).toMatch(/^"[0-9a-f-]+"$/);
    expect(readFileSync(join(root, 'media', '2026', 'photos', 'été.png')).equals(body)).toBe(true);
  });

  it('streams a body of unknown size, several MiB, in one piece', async () => {
    const chunk = randomBytes(256 * 1024);
    const hash = createHash('sha256');
    const source = Readable.from(
      (function* () {
        for (let i = 0; i < 24; i++) {
          hash.update(chunk);
          yield chunk;
        }
      })(),
    );
    const stored = await provider.upload({ key: 'big.bin', body: source, mime: 'application/octet-stream', name: 'b' });
    expect(stored.size).toBe(24 * chunk.length);
    const read = await collect(await provider.read({ key: 'big.bin' }));
    expect(createHash('sha256').update(read).digest('hex')).toBe(hash.digest('hex'));
  });

  it('stores an empty file', async () => {
    const stored = await provider.upload({ key: 'empty', body: new Uint8Array(0), mime: 'text/plain', name: 'e' });
    expect(stored.size).toBe(0);
    expect((await collect(await provider.read(stored))).length).toBe(0);
    expect((await provider.stat(stored))?.size).toBe(0);
  });

  it('refuses hostile keys with INVALID_INPUT and writes nothing', async () => {
    for (const key of ['../escape.txt', '/../../etc/passwd', 'a/../../b', 'a\\b', 'a\u0000b', '．．/x', '', 'a//b']) {
      expect(await codeOf(provider.upload({ key, body: Buffer.from('x'), mime: 'text/plain', name: 'x' }))).toBe(
        'INVALID_INPUT',
      );
    }
    expect(filesUnder(root)).toEqual([]);
  });

  it("refuses keys in the provider's own folder and segments longer than a file name may be", async () => {
    const body = Buffer.from('x');
    expect(
      await codeOf(provider.upload({ key: '.upload-provider-local/meta/x', body, mime: 'text/plain', name: 'x' })),
    ).toBe('INVALID_INPUT');
    expect(await codeOf(provider.upload({ key: `${'a'.repeat(256)}.txt`, body, mime: 'text/plain', name: 'x' }))).toBe(
      'INVALID_INPUT',
    );
    expect(filesUnder(root)).toEqual([]);
  });

  it('refuses a body longer than its declared size with TOO_LARGE and a shorter one with INTEGRITY', async () => {
    const long = Readable.from([Buffer.alloc(100)]);
    expect(await codeOf(provider.upload({ key: 'l', body: long, size: 50, mime: 'a/b', name: 'l' }))).toBe('TOO_LARGE');
    const short = Readable.from([Buffer.alloc(10)]);
    expect(await codeOf(provider.upload({ key: 's', body: short, size: 50, mime: 'a/b', name: 's' }))).toBe(
      'INTEGRITY',
    );
    expect(await codeOf(provider.upload({ key: 'b', body: Buffer.alloc(3), size: 4, mime: 'a/b', name: 'b' }))).toBe(
      'INTEGRITY',
    );
    expect(filesUnder(root)).toEqual([]);
  });

  it('an upload aborted midway rejects with ABORTED and leaves no file, temporary or final', async () => {
    const source = new PassThrough();
    const controller = new AbortController();
    const pending = provider.upload(
      { key: 'aborted.bin', body: source, mime: 'application/octet-stream', name: 'a' },
      { signal: controller.signal },
    );
    source.write(randomBytes(2 * 1024 * 1024));
    // Wait until bytes have reached the temporary file, so the abort happens in the middle of the write.
    const tmpDir = join(root, '.upload-provider-local', 'tmp');
    while (filesUnder(tmpDir).length === 0) await new Promise((r) => setTimeout(r, 5));
    controller.abort();
    expect(await codeOf(pending)).toBe('ABORTED');
    expect(filesUnder(root)).toEqual([]);
  });

  it('a source stream that fails rejects and leaves nothing behind', async () => {
    const source = new PassThrough();
    const pending = provider.upload({ key: 'broken.bin', body: source, mime: 'a/b', name: 'b' });
    source.write(Buffer.alloc(1000));
    setImmediate(() => source.destroy(new Error('socket hang up')));
    expect(await codeOf(pending)).not.toBe('resolved');
    expect(filesUnder(root)).toEqual([]);
  });

  it('an already aborted signal stores nothing', async () => {
    const controller = new AbortController();
    controller.abort();
    expect(
      await codeOf(
        provider.upload({ key: 'x', body: Buffer.from('x'), mime: 'a/b', name: 'x' }, { signal: controller.signal }),
      ),
    ).toBe('ABORTED');
    expect(filesUnder(root)).toEqual([]);
  });

  it('a reader sees the old file or the new one, never a partial one', async () => {
    const old = Buffer.alloc(1000, 1);
    await provider.upload({ key: 'swap.bin', body: old, mime: 'a/b', name: 'x' });
    const source = new PassThrough();
    const pending = provider.upload({ key: 'swap.bin', body: source, mime: 'a/b', name: 'x' });
    source.write(Buffer.alloc(500, 2));
    const tmpDir = join(root, '.upload-provider-local', 'tmp');
    const written = () => filesUnder(tmpDir).some((f) => statSync(join(tmpDir, f)).size === 500);
    while (!written()) await new Promise((r) => setTimeout(r, 5));
    // Half of the new body has been written somewhere; the key still holds the old bytes.
    expect((await collect(await provider.read({ key: 'swap.bin' }))).equals(old)).toBe(true);
    source.end(Buffer.alloc(500, 2));
    await pending;
    expect((await collect(await provider.read({ key: 'swap.bin' }))).equals(Buffer.alloc(1000, 2))).toBe(true);
  });

  it('a key that clashes with an existing folder is INVALID_INPUT, and nothing is left', async () => {
    await provider.upload({ key: 'dir/inner.txt', body: Buffer.from('x'), mime: 'text/plain', name: 'x' });
    const before = filesUnder(root);
    expect(await codeOf(provider.upload({ key: 'dir', body: Buffer.from('y'), mime: 'text/plain', name: 'y' }))).toBe(
      'INVALID_INPUT',
    );
    expect(filesUnder(root)).toEqual(before);
  });

  it('a key below an existing file (a folder that is a file) is INVALID_INPUT after the retries, and nothing is left', async () => {
    await provider.upload({ key: 'plain.txt', body: Buffer.from('x'), mime: 'text/plain', name: 'x' });
    const before = filesUnder(root);
    const refused = provider.upload({
      key: 'plain.txt/under.txt',
      body: Buffer.from('y'),
      mime: 'text/plain',
      name: 'y',
    });
    expect(await codeOf(refused)).toBe('INVALID_INPUT');
    expect(filesUnder(root)).toEqual(before);
  });

  it('with fsync on, files are stored the same way', async () => {
    const p = localProvider({ root, fsync: true });
    const stored = await p.upload({ key: 'synced.txt', body: Buffer.from('durable'), mime: 'text/plain', name: 's' });
    expect(readFileSync(join(root, stored.key), 'utf8')).toBe('durable');
  });
});

describe('stat, read and delete', () => {
  it('stat reports size, type, etag and time; null when missing', async () => {
    const stored = await provider.upload({
      key: 'a/b.json',
      body: Buffer.from('{}'),
      mime: 'application/json',
      name: 'b',
    });
    const info = await provider.stat(stored);
    expect(info).toMatchObject({ key: 'a/b.json', size: 2, mime: 'application/json', etag: stored.etag });
    expect(info?.lastModified?.getTime()).toBe(statSync(join(root, 'a', 'b.json')).mtime.getTime());
    expect(await provider.stat({ key: 'a/missing.json' })).toBeNull();
    expect(await provider.stat({ key: 'a/b.json/below' })).toBeNull();
  });

  it('read honours ranges, clamps an end past the file and refuses impossible ones', async () => {
    const bytes = randomBytes(1000);
    const stored = await provider.upload({ key: 'r.bin', body: bytes, mime: 'a/b', name: 'r' });
    expect((await collect(await provider.read(stored, { start: 10, end: 19 }))).equals(bytes.subarray(10, 20))).toBe(
      true,
    );
    expect((await collect(await provider.read(stored, { start: 990, end: 5000 }))).equals(bytes.subarray(990))).toBe(
      true,
    );
    expect(await codeOf(provider.read(stored, { start: 1000 }))).toBe('INVALID_INPUT');
    expect(await codeOf(provider.read(stored, { start: 5, end: 4 }))).toBe('INVALID_INPUT');
    expect(await codeOf(provider.read(stored, { start: -1 }))).toBe('INVALID_INPUT');
    expect(await codeOf(provider.read({ key: 'nope.bin' }))).toBe('NOT_FOUND');
  });

  it('read does not follow a symbolic link planted in the root', async () => {
    const outside = join(mkdtempSync(join(tmpdir(), 'upl-outside-')), 'secret.txt');
    writeFileSync(outside, 'outside the root');
    symlinkSync(outside, join(root, 'link.txt'));
    expect(await codeOf(provider.read({ key: 'link.txt' }))).toBe('NOT_FOUND');
    rmSync(outside);
  });

  it('delete removes the file and its metadata, prunes empty folders, and is idempotent', async () => {
    const stored = await provider.upload({ key: 'x/y/z.txt', body: Buffer.from('z'), mime: 'text/plain', name: 'z' });
    expect(filesUnder(root).length).toBe(2); // the file and its sidecar
    await provider.delete(stored);
    expect(filesUnder(root)).toEqual([]);
    expect(existsSync(join(root, 'x'))).toBe(false);
    await provider.delete(stored);
    await provider.delete({ key: 'never/was.txt' });
    expect(await codeOf(provider.read(stored))).toBe('NOT_FOUND');
  });

  it('delete of a hostile key is INVALID_INPUT', async () => {
    mkdirSync(join(root, 'keep'));
    expect(await codeOf(provider.delete({ key: '../keep' }))).toBe('INVALID_INPUT');
  });
});

describe('urls and signatures', () => {
  it('url() percent-encodes each key segment under a path baseUrl', () => {
    expect(provider.url({ key: 'a b/ü?#.txt' })).toBe('/uploads/a%20b/%C3%BC%3F%23.txt');
    expect(() => provider.url({ key: '../x' })).toThrow();
  });

  it('signUrl gives an expiring URL; lifetimes must be positive and at most 7 days', async () => {
    const before = Date.now();
    const signed = await provider.signUrl({ key: 'k.txt' }, { expiresIn: 60 });
    expect(signed.expiresAt.getTime() - before).toBeGreaterThanOrEqual(60_000);
    expect(signed.expiresAt.getTime() - before).toBeLessThan(61_000);
    const url = new URL(signed.url, 'http://x');
    expect(url.searchParams.get('signature')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Number(url.searchParams.get('expires'))).toBe(signed.expiresAt.getTime());
    const defaulted = await provider.signUrl({ key: 'k.txt' });
    expect(Math.round((defaulted.expiresAt.getTime() - Date.now()) / 1000)).toBe(900);
    for (const expiresIn of [0, -1, Number.NaN, 7 * 24 * 3600 + 1]) {
      expect(await codeOf(provider.signUrl({ key: 'k.txt' }, { expiresIn }))).toBe('INVALID_INPUT');
    }
    expect(await codeOf(provider.signUrl({ key: '../k.txt' }))).toBe('INVALID_INPUT');
  });

  it('without a secret a public provider still names downloads, unsigned', async () => {
    const p = localProvider({ root });
    const signed = await p.signUrl({ key: 'k.txt' }, { downloadName: 'Report.txt' });
    expect(signed.url).toBe('/uploads/k.txt?disposition=attachment&name=Report.txt');
    expect(await codeOf(p.createDirectUpload({ key: 'k', mime: 'text/plain', maxSize: 1 }))).toBe('UNSUPPORTED');
  });

  it('createDirectUpload validates its request', async () => {
    expect(await codeOf(provider.createDirectUpload({ key: '../x', mime: 'text/plain', maxSize: 10 }))).toBe(
      'INVALID_INPUT',
    );
    expect(await codeOf(provider.createDirectUpload({ key: 'x', mime: 'text', maxSize: 10 }))).toBe('INVALID_INPUT');
    expect(await codeOf(provider.createDirectUpload({ key: 'x', mime: 'image/**', maxSize: 10 }))).toBe(
      'INVALID_INPUT',
    );
    expect(await codeOf(provider.createDirectUpload({ key: 'x', mime: 'text/plain', maxSize: -1 }))).toBe(
      'INVALID_INPUT',
    );
    expect(await codeOf(provider.createDirectUpload({ key: 'x', mime: 'text/plain', maxSize: 10, minSize: 11 }))).toBe(
      'INVALID_INPUT',
    );
    expect(await codeOf(provider.createDirectUpload({ key: 'x', mime: 'text/plain', maxSize: 10, expiresIn: 0 }))).toBe(
      'INVALID_INPUT',
    );
    // maxDirectUploadBytes is the core's maxDirectUploadSize limit: a request over it is one to change.
    const capped = localProvider({ root, secret: SECRET, maxDirectUploadBytes: 100 });
    expect(await codeOf(capped.createDirectUpload({ key: 'x', mime: 'text/plain', maxSize: 101 }))).toBe(
      'INVALID_INPUT',
    );
    expect(await codeOf(capped.createDirectUpload({ key: 'x', mime: 'text/plain', maxSize: 100 }))).toBe('resolved');
  });

  it('createDirectUpload pins the key, the type and the size in a signed policy', async () => {
    const du = await provider.createDirectUpload({ key: 'in/c.png', mime: 'image/png', maxSize: 500, minSize: 1 });
    expect(du).toMatchObject({ url: '/uploads', method: 'POST', fileField: 'file', key: 'in/c.png' });
    expect(Object.keys(du.fields)).toEqual(['key', 'Content-Type', 'policy', 'signature']);
    const policy = JSON.parse(Buffer.from(du.fields.policy!, 'base64url').toString('utf8'));
    expect(policy).toMatchObject({
      key: 'in/c.png',
      mime: 'image/png',
      maxSize: 500,
      minSize: 1,
      expires: du.expiresAt.getTime(),
    });
    const family = await provider.createDirectUpload({ key: 'f', mime: 'image/*', maxSize: 5 });
    expect(family.fields['Content-Type']).toBeUndefined();
    const elsewhere = localProvider({ root, secret: SECRET, baseUrl: 'http://h:1/u', directUploadPath: '/post-here' });
    expect((await elsewhere.createDirectUpload({ key: 'f', mime: 'image/*', maxSize: 5 })).url).toBe(
      'http://h:1/post-here',
    );
  });
});
