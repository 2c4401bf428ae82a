import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  assertProvider,
  buildKey,
  type Capabilities,
  isProviderError,
  type ProviderErrorCode,
  type StoredFile,
  type StoredRef,
  type UploadProvider,
} from 'upload-provider';
import { generatedStream, hashResponse, hashStream, sha256 } from './bytes.js';
import type { CaseContext, ConformanceCase, ConformanceOptions } from './options.js';
import { decodePostPolicy } from './policy.js';

type Ctx = CaseContext<UploadProvider>;
type Case = ConformanceCase<UploadProvider>;

/** Names a user might upload: unicode, hostile paths, control characters, very long names. */
export const HOSTILE_NAMES = [
  'résumé final.pdf',
  '日本語のファイル.txt',
  'Ελληνικά αρχεία.png',
  '../../etc/passwd',
  '..\\..\\windows\\win.ini',
  '/absolute/path/file.txt',
  'nul\u0000byte.png',
  'control\u0001\u001f\u007fchars.txt',
  '%2e%2e%2fencoded.txt',
  '．．／fullwidth.txt',
  '‥／leader.txt',
  'bidi\u202egnp.exe',
  '   spaces   .txt',
  '.hidden',
  '..',
  'CON',
  `${'a'.repeat(5000)}.txt`,
  'emoji 😀 file.jpeg',
  'quote"and\'apostrophe;semi.txt',
  'no-extension',
];

/** Keys that must be refused outright with `INVALID_INPUT`: each could point outside the provider's place. */
export const ESCAPING_KEYS = [
  '../escape.txt',
  'a/../../escape.txt',
  'a/./b.txt',
  'a//b.txt',
  '..\\escape.txt',
  'nul\u0000.txt',
  'ctrl\u0001.txt',
  '．．/fullwidth-dots.txt',
  '‥/two-dot-leader.txt',
  'a/．/b.txt',
  'x／..／y.txt',
  '',
  'trailing/',
];

async function expectCode(promise: Promise<unknown>, codes: ProviderErrorCode[], what: string): Promise<void> {
  let error: unknown;
  try {
    await promise;
  } catch (e) {
    error = e;
  }
  assert.ok(error !== undefined, `${what}: expected a ProviderError with code ${codes.join(' or ')}, but it resolved`);
  assert.ok(
    isProviderError(error, ...codes),
    `${what}: expected a ProviderError with code ${codes.join(' or ')}, got ${describe(error)}`,
  );
}

function describe(error: unknown): string {
  if (isProviderError(error)) return `ProviderError ${error.code}: ${error.message}`;
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

async function upload(
  ctx: Ctx,
  body: Uint8Array | Readable,
  fields: Partial<{ key: string; mime: string; name: string; size: number }> = {},
) {
  const key = fields.key ?? ctx.key('file.bin');
  const size = fields.size ?? (body instanceof Uint8Array ? body.byteLength : undefined);
  const stored = await ctx.provider.upload({
    key,
    body,
    ...(size === undefined ? {} : { size }),
    mime: fields.mime ?? 'application/octet-stream',
    name: fields.name ?? 'file.bin',
  });
  ctx.track(stored.key, stored.providerMetadata);
  return stored;
}

/** A URL that should serve the object now: the plain one for public providers, a fresh signed one for private. */
async function servingUrl(ctx: Ctx, ref: StoredFile | StoredRef): Promise<string> {
  if (ctx.provider.isPrivate()) return (await ctx.provider.signUrl(ref, { expiresIn: 300 })).url;
  return 'url' in ref ? ref.url : ctx.provider.url(ref);
}

/** Reads an object back every way the provider offers and checks each against `expected` (SHA-256). */
async function assertStored(ctx: Ctx, stored: StoredFile, expected: string, size: number): Promise<void> {
  assert.equal(stored.size, size, 'StoredFile.size must be the number of bytes stored');
  if (ctx.provider.capabilities.read) {
    const got = await hashStream(await ctx.provider.read!(stored));
    assert.equal(got.size, size, 'read() returned a different number of bytes');
    assert.equal(got.hash, expected, 'read() returned different bytes');
  }
  const url = await servingUrl(ctx, stored);
  const res = await ctx.fetch(url);
  assert.equal(res.status, 200, `GET ${redactUrl(url)} should serve the object (status ${res.status})`);
  const got = await hashResponse(res);
  assert.equal(got.size, size, 'the URL served a different number of bytes');
  assert.equal(got.hash, expected, 'the URL served different bytes');
}

async function assertGone(ctx: Ctx, ref: StoredRef): Promise<void> {
  if (ctx.provider.capabilities.stat) assert.equal(await ctx.provider.stat!(ref), null, 'stat() should be null');
  if (ctx.provider.capabilities.read)
    await expectCode(ctx.provider.read!(ref), ['NOT_FOUND'], 'read() of a missing object');
  const url = await servingUrl(ctx, ref);
  const res = await ctx.fetch(url);
  await res.body?.cancel();
  assert.ok(res.status >= 400, `a missing object must not serve; GET answered ${res.status}`);
}

async function assertDenied(ctx: Ctx, url: string, what: string): Promise<void> {
  const res = await ctx.fetch(url);
  await res.body?.cancel();
  assert.ok(res.status >= 400 && res.status < 500, `${what} must be refused with a 4xx, got ${res.status}`);
}

function redactUrl(url: string): string {
  return url.replace(/([?&][^=]*(sig|signature|token|policy)[^=]*=)[^&]+/gi, '$1…');
}

/** Changes one character of the URL's signature (the query parameter named like one), keeping its alphabet. */
export function tamperSignature(url: string): string {
  const u = new URL(url);
  const keys = [...u.searchParams.keys()];
  const name = keys.find((k) => SIGNATURE_PARAM.test(k)) ?? keys.find((k) => /sig|token|hmac/i.test(k));
  if (name) {
    u.searchParams.set(name, flip(u.searchParams.get(name)!));
    return u.toString();
  }
  // Signatures carried in the path (e.g. `/s--abc--/`): flip a character of the longest path segment.
  const segments = u.pathname.split('/');
  let longest = 0;
  segments.forEach((s, i) => {
    if (s.length > segments[longest]!.length) longest = i;
  });
  segments[longest] = flip(segments[longest]!);
  u.pathname = segments.join('/');
  return u.toString();
}

const SIGNATURE_PARAM = /^(x-amz-signature|x-goog-signature|signature|sig|s|token|hmac)$/i;
const VOLATILE_PARAM = /sig|token|hmac|expire|date|timestamp/i;

/** A's URL pointing at B's object: B's path, or (when objects are named in the query) B's naming parameters. */
function swapObject(urlA: string, urlB: string): string {
  const a = new URL(urlA);
  const b = new URL(urlB);
  if (a.pathname !== b.pathname) {
    a.pathname = b.pathname;
    return a.toString();
  }
  const differing = [...b.searchParams.keys()].filter(
    (k) => !VOLATILE_PARAM.test(k) && a.searchParams.get(k) !== b.searchParams.get(k),
  );
  assert.ok(differing.length > 0, 'signed URLs of two objects must differ in more than their signature and expiry');
  for (const k of differing) a.searchParams.set(k, b.searchParams.get(k)!);
  return a.toString();
}

function flip(value: string): string {
  const i = Math.floor(value.length / 2);
  const c = value[i]!;
  const replacement = c === 'a' ? 'b' : c === 'A' ? 'B' : c === '0' ? '1' : /[0-9]/.test(c) ? '0' : 'a';
  return value.slice(0, i) + replacement + value.slice(i + 1);
}

async function signedUrlRefused(ctx: Ctx, url: string, what: string): Promise<void> {
  if (ctx.options.enforces?.signedUrls === false) {
    assert.equal(await ctx.options.verifySignedUrl!(url, new Date()), false, `${what} must not verify`);
    return;
  }
  await assertDenied(ctx, url, what);
}

function postForm(
  ctx: Ctx,
  upload: { url: string; fields: Record<string, string>; fileField: string },
  bytes: Uint8Array,
  type: string,
  fileName = 'upload.bin',
  override: Record<string, string> = {},
) {
  const form = new FormData();
  for (const [k, v] of Object.entries({ ...upload.fields, ...override })) form.append(k, v);
  form.append(upload.fileField, new Blob([bytes], { type }), fileName);
  return ctx.fetch(upload.url, { method: 'POST', body: form });
}

async function assertPostRefused(ctx: Ctx, res: Response, key: string, what: string): Promise<void> {
  const text = await res.text();
  assert.ok(
    res.status >= 400 && res.status < 500,
    `${what} must be refused with a 4xx, got ${res.status}: ${text.slice(0, 200)}`,
  );
  if (ctx.provider.capabilities.stat)
    assert.equal(await ctx.provider.stat!({ key }), null, `${what} must store nothing`);
}

/** The cases that apply to a provider, chosen by its declared capabilities and by what the backend enforces. */
export function conformanceCases(
  options: ConformanceOptions<UploadProvider>,
  caps: Capabilities,
  isPrivate: boolean,
  declared: { capabilities: Capabilities; isPrivate: boolean } = { capabilities: caps, isPrivate },
): Case[] {
  const enforce = {
    signedUrls: true,
    directUploadPolicy: true,
    privateUrls: true,
    directUploadSize: true,
    atomicOverwrite: true,
    ...options.enforces,
  };
  const large = options.largeFileBytes ?? 8 * 1024 * 1024;
  const cases: Case[] = [];
  const add = (group: string, name: string, run: (ctx: Ctx) => Promise<void>) => cases.push({ group, name, run });

  add('contract', 'declares a name, capabilities and the methods they promise', async (ctx) => {
    assertProvider(ctx.provider);
    const p = ctx.provider;
    for (const [cap, method] of [
      ['read', 'read'],
      ['stat', 'stat'],
      ['directUpload', 'createDirectUpload'],
    ] as const) {
      if (p.capabilities[cap])
        assert.equal(typeof p[method], 'function', `capabilities.${cap} is true but ${method}() is missing`);
    }
    if (p.capabilities.rangeRead) assert.ok(p.capabilities.read, 'rangeRead needs read');
    assert.equal(typeof p.isPrivate(), 'boolean');
    // The cases were chosen from these; a provider that declares otherwise would skip cases unseen.
    assert.deepEqual(
      { ...p.capabilities },
      { ...declared.capabilities },
      'capabilities differ from those the suite was set up with',
    );
    assert.equal(p.isPrivate(), declared.isPrivate, 'isPrivate() differs from what the suite was set up with');
  });

  add('round trip', 'bytes come back byte for byte', async (ctx) => {
    const bytes = randomBytes(96 * 1024 + 7);
    const stored = await upload(ctx, bytes);
    await assertStored(ctx, stored, sha256(bytes), bytes.byteLength);
  });

  add('round trip', 'a stream with a declared size comes back byte for byte', async (ctx) => {
    const size = 300 * 1024 + 3;
    const { stream, expected } = generatedStream(size, 16 * 1024);
    const stored = await upload(ctx, stream, { size });
    await assertStored(ctx, stored, expected, size);
  });

  if (caps.unknownSize) {
    add('round trip', 'a stream of unknown size comes back byte for byte', async (ctx) => {
      const size = 200 * 1024 + 11;
      const { stream, expected } = generatedStream(size, 10 * 1024);
      const stored = await upload(ctx, stream);
      await assertStored(ctx, stored, expected, size);
    });
  }

  if (caps.emptyFiles === false) {
    add(
      'round trip',
      'an empty file is refused with INVALID_INPUT and stores nothing (emptyFiles: false)',
      async (ctx) => {
        const key = ctx.key('empty.txt');
        await expectCode(
          ctx.provider.upload({ key, body: new Uint8Array(0), size: 0, mime: 'text/plain', name: 'empty.txt' }),
          ['INVALID_INPUT'],
          'upload of an empty file',
        );
        await assertGone(ctx, { key });
      },
    );
  } else {
    add('round trip', 'an empty file is stored and served empty', async (ctx) => {
      const stored = await upload(ctx, new Uint8Array(0), {
        mime: 'text/plain',
        name: 'empty.txt',
        key: ctx.key('empty.txt'),
      });
      await assertStored(ctx, stored, sha256(new Uint8Array(0)), 0);
    });
  }

  add(
    'round trip',
    `a ${Math.round(large / 1048576)} MiB file streamed from a generator comes back byte for byte`,
    async (ctx) => {
      // The source makes 64 KiB at a time and never holds the file; the provider must stream it on.
      const { stream, expected } = generatedStream(large);
      const stored = await upload(ctx, stream, { size: large, key: ctx.key('large.bin') });
      await assertStored(ctx, stored, expected, large);
    },
  );

  add('round trip', 'the returned key is the normalised key and its url names it', async (ctx) => {
    const key = ctx.key('Straße und Ümlaut.txt');
    const stored = await upload(ctx, Buffer.from('hello'), { key: `/${key}`, mime: 'text/plain' });
    assert.equal(stored.key, key.normalize('NFC'), 'a leading slash is dropped and the key is NFC');
    assert.equal(stored.url, ctx.provider.url(stored), 'url(ref) must give the same plain URL as upload');
  });

  add('upload failures', 'a body shorter than its declared size is refused and leaves nothing', async (ctx) => {
    const key = ctx.key('short.bin');
    await expectCode(
      ctx.provider.upload({
        key,
        body: Readable.from([randomBytes(1000)]),
        size: 5000,
        mime: 'application/octet-stream',
        name: 'short.bin',
      }),
      ['INTEGRITY'],
      'upload of 1000 bytes declared as 5000',
    );
    await assertGone(ctx, { key });
  });

  add('upload failures', 'a body longer than its declared size is refused and leaves nothing', async (ctx) => {
    const key = ctx.key('long.bin');
    await expectCode(
      ctx.provider.upload({
        key,
        body: Readable.from([randomBytes(5000)]),
        size: 1000,
        mime: 'application/octet-stream',
        name: 'long.bin',
      }),
      ['INTEGRITY', 'TOO_LARGE'],
      'upload of 5000 bytes declared as 1000',
    );
    await assertGone(ctx, { key });
  });

  add('upload failures', 'an aborted upload rejects with ABORTED and leaves nothing', async (ctx) => {
    const key = ctx.key('aborted.bin');
    const controller = new AbortController();
    async function* body() {
      yield randomBytes(64 * 1024);
      yield randomBytes(64 * 1024);
      controller.abort();
      // Keep the stream open: only the signal may end this upload.
      await sleep(2000);
      yield randomBytes(64 * 1024);
    }
    await expectCode(
      ctx.provider.upload(
        {
          key,
          body: Readable.from(body()),
          size: 3 * 64 * 1024,
          mime: 'application/octet-stream',
          name: 'aborted.bin',
        },
        { signal: controller.signal },
      ),
      ['ABORTED'],
      'an upload whose signal fired',
    );
    await assertGone(ctx, { key });
  });

  add('keys', 'keys built from unicode and hostile names store and serve', async (ctx) => {
    for (const name of HOSTILE_NAMES) {
      const key = buildKey(name, { prefix: ctx.key('names').replace(/\/[^/]*$/, '') });
      const bytes = Buffer.from(`name: ${name.slice(0, 64)}`);
      const stored = await upload(ctx, bytes, { key, name, mime: 'text/plain' });
      assert.equal(stored.key, key);
      await assertStored(ctx, stored, sha256(bytes), bytes.byteLength);
    }
  });

  add('keys', 'a key with spaces and unicode is stored and served under that exact key', async (ctx) => {
    const key = ctx.key('ünïcødé файл #1 ?&=+.txt');
    const bytes = Buffer.from('unicode key');
    const stored = await upload(ctx, bytes, { key, mime: 'text/plain' });
    assert.equal(stored.key, key);
    await assertStored(ctx, stored, sha256(bytes), bytes.byteLength);
  });

  add('keys', 'keys that could escape are refused by every method with INVALID_INPUT', async (ctx) => {
    const p = ctx.provider;
    for (const key of ESCAPING_KEYS) {
      const label = JSON.stringify(key);
      await expectCode(
        p.upload({ key, body: Buffer.from('x'), mime: 'text/plain', name: 'x.txt' }),
        ['INVALID_INPUT'],
        `upload(${label})`,
      );
      await expectCode(p.delete({ key }), ['INVALID_INPUT'], `delete(${label})`);
      await expectCode(p.signUrl({ key }), ['INVALID_INPUT'], `signUrl(${label})`);
      if (p.capabilities.stat) await expectCode(p.stat!({ key }), ['INVALID_INPUT'], `stat(${label})`);
      if (p.capabilities.read) await expectCode(p.read!({ key }), ['INVALID_INPUT'], `read(${label})`);
      if (p.capabilities.directUpload) {
        await expectCode(
          p.createDirectUpload!({ key, mime: 'text/plain', maxSize: 10 }),
          ['INVALID_INPUT'],
          `createDirectUpload(${label})`,
        );
      }
    }
  });

  add('concurrency', 'concurrent uploads of different files do not collide', async (ctx) => {
    const files = Array.from({ length: 8 }, (_, i) => ({
      bytes: randomBytes(20 * 1024 + i),
      key: ctx.key(`same-name.bin`),
    }));
    const stored = await Promise.all(
      files.map((f) => upload(ctx, Readable.from([f.bytes]), { key: f.key, size: f.bytes.byteLength })),
    );
    assert.equal(new Set(stored.map((s) => s.key)).size, files.length, 'every upload keeps its own key');
    for (const [i, s] of stored.entries())
      await assertStored(ctx, s, sha256(files[i]!.bytes), files[i]!.bytes.byteLength);
  });

  if (enforce.atomicOverwrite) {
    add('concurrency', 'two uploads to the same key leave one whole file, never a mix', async (ctx) => {
      const key = ctx.key('contended.bin');
      const a = randomBytes(256 * 1024);
      const b = randomBytes(256 * 1024);
      const [sa] = await Promise.all([
        upload(ctx, Readable.from([a]), { key, size: a.byteLength }),
        upload(ctx, Readable.from([b]), { key, size: b.byteLength }),
      ]);
      const res = await ctx.fetch(await servingUrl(ctx, sa));
      const got = await hashResponse(res);
      assert.ok(got.hash === sha256(a) || got.hash === sha256(b), 'the object must be one of the two uploads, whole');
    });
  }

  if (caps.contentType) {
    add('metadata', 'the content type given at upload is served back', async (ctx) => {
      const stored = await upload(ctx, Buffer.from('{"a":1}'), {
        key: ctx.key('data.json'),
        mime: 'application/json',
        name: 'data.json',
      });
      assert.equal(stored.mime, 'application/json');
      const res = await ctx.fetch(await servingUrl(ctx, stored));
      await res.body?.cancel();
      assert.match(res.headers.get('content-type') ?? '', /^application\/json/, 'Content-Type served');
      if (caps.stat)
        assert.equal((await ctx.provider.stat!(stored))?.mime?.split(';')[0], 'application/json', 'stat().mime');
    });
  }

  if (caps.downloadName) {
    add('metadata', 'signUrl with a download name serves it as an attachment under that name', async (ctx) => {
      const stored = await upload(ctx, Buffer.from('report'), { key: ctx.key('r.txt'), mime: 'text/plain' });
      const { url } = await ctx.provider.signUrl(stored, { downloadName: 'Quarterly report é.txt', expiresIn: 120 });
      const res = await ctx.fetch(url);
      await res.body?.cancel();
      assert.equal(res.status, 200);
      const cd = res.headers.get('content-disposition') ?? '';
      assert.match(cd, /^attachment/i, 'Content-Disposition is attachment');
      assert.ok(
        cd.includes('Quarterly') || cd.includes('Quarterly%20report'),
        `Content-Disposition names the file: ${cd}`,
      );
    });
  }

  add('delete', 'a deleted object no longer serves, and deleting again resolves', async (ctx) => {
    const stored = await upload(ctx, Buffer.from('to be deleted'), { mime: 'text/plain' });
    const before = await servingUrl(ctx, stored);
    await ctx.provider.delete(stored);
    await assertGone(ctx, stored);
    const res = await ctx.fetch(before);
    await res.body?.cancel();
    assert.ok(res.status >= 400, `a URL made before the delete must stop serving, got ${res.status}`);
    await ctx.provider.delete(stored);
  });

  add('delete', 'deleting an object that never existed resolves', async (ctx) => {
    await ctx.provider.delete({ key: ctx.key('never-existed.bin') });
  });

  add('errors', 'missing objects are reported as missing', async (ctx) => {
    const ref = { key: ctx.key('missing.bin') };
    if (caps.stat) assert.equal(await ctx.provider.stat!(ref), null, 'stat() of a missing object is null');
    if (caps.read) await expectCode(ctx.provider.read!(ref), ['NOT_FOUND'], 'read() of a missing object');
    const res = await ctx.fetch(await servingUrl(ctx, ref));
    await res.body?.cancel();
    assert.ok(
      res.status === 404 || res.status === 403,
      `GET of a missing object answers 404 (or 403), got ${res.status}`,
    );
  });

  if (caps.stat) {
    add('stat', 'stat reports size and type', async (ctx) => {
      const bytes = randomBytes(1234);
      const stored = await upload(ctx, bytes, { mime: 'image/png', key: ctx.key('s.png') });
      const info = await ctx.provider.stat!(stored);
      assert.ok(info, 'stat() of a stored object is not null');
      assert.equal(info.size, 1234);
      assert.equal(info.key, stored.key);
    });
  }

  if (caps.rangeRead) {
    add('ranges', 'read honours byte ranges and refuses ranges past the end', async (ctx) => {
      const bytes = randomBytes(10_000);
      const stored = await upload(ctx, bytes);
      const mid = await hashStream(await ctx.provider.read!(stored, { start: 100, end: 199 }));
      assert.equal(mid.hash, sha256(bytes.subarray(100, 200)), 'range 100-199');
      const tail = await hashStream(await ctx.provider.read!(stored, { start: 9_000 }));
      assert.equal(tail.hash, sha256(bytes.subarray(9_000)), 'open-ended range from 9000');
      await expectCode(
        ctx.provider.read!(stored, { start: 20_000 }),
        ['INVALID_INPUT'],
        'a range starting past the end',
      );
      await expectCode(
        ctx.provider.read!(stored, { start: 50, end: 10 }),
        ['INVALID_INPUT'],
        'a range that ends before it starts',
      );
    });
  }

  add('signed URLs', 'a signed URL serves the object until its expiresAt', async (ctx) => {
    const bytes = randomBytes(4096);
    const stored = await upload(ctx, bytes);
    const before = Date.now();
    const signed = await ctx.provider.signUrl(stored, { expiresIn: 600 });
    assert.ok(signed.expiresAt instanceof Date, 'expiresAt is a Date');
    const delta = signed.expiresAt.getTime() - before;
    assert.ok(delta > 590_000 && delta <= 601_000, `expiresAt must be about 600 s ahead, got ${delta} ms`);
    const res = await ctx.fetch(signed.url);
    assert.equal(res.status, 200);
    assert.equal((await hashResponse(res)).hash, sha256(bytes));
    if (enforce.signedUrls === false)
      assert.equal(await ctx.options.verifySignedUrl!(signed.url, new Date()), true, 'a fresh signed URL verifies');
  });

  add('signed URLs', 'an expired signed URL is refused', async (ctx) => {
    const stored = await upload(ctx, randomBytes(100));
    const signed = await ctx.provider.signUrl(stored, { expiresIn: 1 });
    if (enforce.signedUrls === false) {
      const after = new Date(signed.expiresAt.getTime() + 1000);
      assert.equal(
        await ctx.options.verifySignedUrl!(signed.url, after),
        false,
        'a signed URL must not verify after it expires',
      );
      return;
    }
    // Wait past the expiry (signatures count whole seconds) and a little more for clock rounding.
    await sleep(Math.max(0, signed.expiresAt.getTime() - Date.now()) + 1500);
    await assertDenied(ctx, signed.url, 'an expired signed URL');
  });

  add('signed URLs', 'a tampered signature is refused', async (ctx) => {
    const stored = await upload(ctx, randomBytes(100));
    const signed = await ctx.provider.signUrl(stored, { expiresIn: 300 });
    await signedUrlRefused(ctx, tamperSignature(signed.url), 'a signed URL with a changed signature');
  });

  add('signed URLs', 'a signature for one object does not serve another', async (ctx) => {
    const a = await upload(ctx, randomBytes(100), { key: ctx.key('a-object.bin') });
    const b = await upload(ctx, randomBytes(100), { key: ctx.key('b-object.bin') });
    const signedA = await ctx.provider.signUrl(a, { expiresIn: 300 });
    const signedB = await ctx.provider.signUrl(b, { expiresIn: 300 });
    const swapped = swapObject(signedA.url, signedB.url);
    await signedUrlRefused(ctx, swapped, "object A's signature on object B's name");
  });

  add('signed URLs', 'a lifetime that is not positive is refused', async (ctx) => {
    await expectCode(
      ctx.provider.signUrl({ key: ctx.key('x.bin') }, { expiresIn: 0 }),
      ['INVALID_INPUT'],
      'signUrl with expiresIn 0',
    );
    await expectCode(
      ctx.provider.signUrl({ key: ctx.key('x.bin') }, { expiresIn: -5 }),
      ['INVALID_INPUT'],
      'signUrl with expiresIn -5',
    );
  });

  if (isPrivate && enforce.privateUrls) {
    add('private', 'the plain URL of a private object does not serve it', async (ctx) => {
      const stored = await upload(ctx, randomBytes(100));
      await assertDenied(ctx, stored.url, 'the plain URL of a private object');
    });
  }

  if (caps.directUpload) addDirectUploadCases(add, enforce.directUploadPolicy, enforce.directUploadSize);

  if (options.factory && options.invalidOptions?.length) {
    add('options', 'invalid options are refused with INVALID_OPTIONS naming each option', async (ctx) => {
      for (const c of ctx.options.invalidOptions!) {
        let error: unknown;
        try {
          ctx.options.factory!(c.options as never);
        } catch (e) {
          error = e;
        }
        assert.ok(
          isProviderError(error, 'INVALID_OPTIONS'),
          `options ${JSON.stringify(c.options)} must throw INVALID_OPTIONS, got ${describe(error)}`,
        );
        for (const word of c.mentions)
          assert.ok(error.message.includes(word), `the error must name "${word}": ${error.message}`);
      }
    });
  }

  return [...cases, ...(options.extraCases ?? [])];
}

function addDirectUploadCases(
  add: (group: string, name: string, run: (ctx: Ctx) => Promise<void>) => void,
  enforced: boolean,
  sizeEnforced: boolean,
): void {
  const group = 'direct uploads';

  add(group, 'a conforming form POST is stored under the pinned key', async (ctx) => {
    const key = ctx.key('direct.txt');
    const bytes = Buffer.from('uploaded straight to the storage');
    const du = await ctx.provider.createDirectUpload!({ key, mime: 'text/plain', maxSize: 1024, name: 'direct.txt' });
    ctx.track(du.key, du.providerMetadata);
    assert.equal(du.method, 'POST');
    assert.equal(du.key, key);
    assert.ok(du.expiresAt.getTime() > Date.now(), 'expiresAt is in the future');
    const res = await postForm(ctx, du, bytes, 'text/plain', 'direct.txt');
    const text = await res.text();
    assert.ok(
      res.status >= 200 && res.status < 300,
      `the POST must be accepted, got ${res.status}: ${text.slice(0, 300)}`,
    );
    const ref = { key: du.key, providerMetadata: du.providerMetadata ?? null };
    if (ctx.provider.capabilities.stat) assert.equal((await ctx.provider.stat!(ref))?.size, bytes.byteLength);
    const got = await hashResponse(await ctx.fetch(await servingUrl(ctx, ref)));
    assert.equal(got.hash, sha256(bytes), 'the stored bytes are the posted bytes');
  });

  if (enforced && !sizeEnforced) {
    add(
      group,
      'a POST over the size limit is refused, or seen by stat at its real size so a confirm step can refuse it',
      async (ctx) => {
        const key = ctx.key('too-big.bin');
        const du = await ctx.provider.createDirectUpload!({ key, mime: 'application/octet-stream', maxSize: 1000 });
        ctx.track(du.key, du.providerMetadata);
        assert.ok(ctx.provider.capabilities.stat, 'a backend that cannot cap direct-upload size must offer stat()');
        const res = await postForm(ctx, du, randomBytes(1001), 'application/octet-stream');
        const text = await res.text();
        const ref = { key: du.key, providerMetadata: du.providerMetadata ?? null };
        if (res.ok) {
          assert.equal((await ctx.provider.stat!(ref))?.size, 1001, 'stat() reports the size actually stored');
          await ctx.provider.delete(ref);
          assert.equal(await ctx.provider.stat!(ref), null, 'delete() removes the oversized object');
        } else {
          assert.ok(
            res.status >= 400 && res.status < 500,
            `a refusal must be a 4xx, got ${res.status}: ${text.slice(0, 200)}`,
          );
          assert.equal(await ctx.provider.stat!(ref), null, 'a refused POST stores nothing');
        }
      },
    );
  } else {
    add(group, 'a POST over the size limit is refused and stores nothing', async (ctx) => {
      const key = ctx.key('too-big.bin');
      const du = await ctx.provider.createDirectUpload!({ key, mime: 'application/octet-stream', maxSize: 1000 });
      ctx.track(du.key, du.providerMetadata);
      if (!enforced) {
        // The backend under test does not enforce policies: check that the signed policy itself forbids it.
        const policy = decodePostPolicy(du);
        assert.ok(policy.contentLength, 'the policy must carry a content-length-range');
        assert.equal(policy.contentLength[1], 1000, 'the policy allows at most maxSize bytes');
        return;
      }
      await assertPostRefused(
        ctx,
        await postForm(ctx, du, randomBytes(1001), 'application/octet-stream'),
        key,
        'a POST of 1001 bytes with maxSize 1000',
      );
    });
  }

  add(group, 'a POST of another content type is refused and stores nothing', async (ctx) => {
    const key = ctx.key('typed.png');
    const du = await ctx.provider.createDirectUpload!({ key, mime: 'image/png', maxSize: 10_000 });
    ctx.track(du.key, du.providerMetadata);
    if (!enforced) {
      const policy = decodePostPolicy(du);
      assert.deepEqual(policy.contentType, { exact: 'image/png' }, 'the policy pins the content type');
      return;
    }
    const typeField = Object.keys(du.fields).find((k) => k.toLowerCase() === 'content-type');
    const override: Record<string, string> = typeField ? { [typeField]: 'text/html' } : {};
    const res = await postForm(ctx, du, Buffer.from('<script>alert(1)</script>'), 'text/html', 'page.html', override);
    await assertPostRefused(ctx, res, key, 'a POST of text/html where image/png is pinned');
  });

  add(group, 'a family type (image/*) admits that family only', async (ctx) => {
    const key = ctx.key('family.img');
    const du = await ctx.provider.createDirectUpload!({ key, mime: 'image/*', maxSize: 10_000 });
    ctx.track(du.key, du.providerMetadata);
    if (!enforced) {
      const policy = decodePostPolicy(du);
      assert.deepEqual(policy.contentType, { prefix: 'image/' }, 'the policy admits image/ types only');
      return;
    }
    const typeField = Object.keys(du.fields).find((k) => k.toLowerCase() === 'content-type');
    const override: Record<string, string> = typeField ? { [typeField]: 'application/pdf' } : {};
    await assertPostRefused(
      ctx,
      await postForm(ctx, du, Buffer.from('%PDF-1.4'), 'application/pdf', 'x.pdf', override),
      key,
      'a PDF where image/* is pinned',
    );
  });

  add(group, 'a POST that changes the key is refused', async (ctx) => {
    const key = ctx.key('pinned.txt');
    const other = ctx.key('elsewhere.txt');
    const du = await ctx.provider.createDirectUpload!({ key, mime: 'text/plain', maxSize: 1000 });
    ctx.track(du.key, du.providerMetadata);
    ctx.track(other);
    if (!enforced) {
      const policy = decodePostPolicy(du);
      assert.deepEqual(policy.key, { exact: du.fields.key ?? key }, 'the policy pins the exact key');
      return;
    }
    const keyField = Object.keys(du.fields).find((k) => /^(key|public_id)$/i.test(k));
    assert.ok(keyField, 'the form fields name the key, so a client cannot choose another');
    const res = await postForm(ctx, du, Buffer.from('x'), 'text/plain', 'x.txt', { [keyField]: other });
    await assertPostRefused(ctx, res, other, 'a POST with another key');
  });

  add(group, 'expired credentials are refused', async (ctx) => {
    const key = ctx.key('late.txt');
    const du = await ctx.provider.createDirectUpload!({ key, mime: 'text/plain', maxSize: 1000, expiresIn: 1 });
    ctx.track(du.key, du.providerMetadata);
    if (!enforced) {
      const policy = decodePostPolicy(du);
      assert.ok(
        policy.expiration.getTime() <= du.expiresAt.getTime() + 1000,
        'the policy expires with the credentials',
      );
      return;
    }
    await sleep(Math.max(0, du.expiresAt.getTime() - Date.now()) + 1500);
    await assertPostRefused(
      ctx,
      await postForm(ctx, du, Buffer.from('late'), 'text/plain', 'late.txt'),
      key,
      'a POST after expiry',
    );
  });
}
