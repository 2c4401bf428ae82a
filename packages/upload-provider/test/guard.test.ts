import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, test } from '@jest/globals';
import {
  defineProvider,
  formatBytes,
  formatSeconds,
  guardProvider,
  isGuarded,
  loadProvider,
  ProviderError,
  prefixOption,
  type StoredRef,
  type UploadProvider,
  z,
} from '../src/index.js';
import { ALL, newStore, rejection, tinyProvider } from './support/tiny-provider.js';

const MiB = 1024 * 1024;
const file = (over: Record<string, unknown> = {}) =>
  ({ key: 'a/b.txt', body: Buffer.from('hello'), mime: 'text/plain', name: 'b.txt', ...over }) as never;
const make = (definition: Parameters<typeof tinyProvider>[1] = {}) => {
  const store = newStore();
  return { store, p: tinyProvider(store, definition)({}) };
};
const methodsSeen = (store: ReturnType<typeof newStore>) => store.calls.map((c) => c.method);

/** A stream of `size` bytes in `chunk`-sized pieces, made on demand. */
function bytesStream(size: number, chunk = 64 * 1024): Readable {
  let left = size;
  return new Readable({
    read() {
      if (left === 0) return void this.push(null);
      const n = Math.min(chunk, left);
      left -= n;
      this.push(randomBytes(n));
    },
  });
}

describe('keys', () => {
  const hostile = ['../x', 'a/../../b', 'a\\b', '', 'a//b', 'a/\u0000b', '．．/x', 5];

  test('a hostile key is INVALID_INPUT, naming the provider, before any method of the provider runs', async () => {
    const { store, p } = make();
    for (const key of hostile) {
      const calls: [string, () => unknown][] = [
        ['upload', () => p.upload(file({ key }))],
        ['delete', () => p.delete({ key } as StoredRef)],
        ['url', () => p.url({ key } as StoredRef)],
        ['signUrl', () => p.signUrl({ key } as StoredRef)],
        ['stat', () => p.stat!({ key } as StoredRef)],
        ['read', () => p.read!({ key } as StoredRef)],
        ['createDirectUpload', () => p.createDirectUpload!({ key, mime: 'text/plain', maxSize: 1 } as never)],
      ];
      for (const [method, call] of calls) {
        const error = await rejection(call);
        expect([method, key, error.code, error.provider]).toEqual([method, key, 'INVALID_INPUT', 'tiny']);
        expect(error.message).toMatch(/^\[tiny\] a key must/);
      }
    }
    expect(store.calls).toEqual([]);
  });

  test('the provider receives the normalised key: NFC, without a leading slash', async () => {
    const { store, p } = make();
    const decomposed = '/docs/Cafe\u0301.txt';
    const stored = await p.upload(file({ key: decomposed }));
    expect(stored.key).toBe('docs/Café.txt');
    await p.stat!({ key: decomposed });
    expect(p.url({ key: decomposed })).toBe('tiny://docs/Café.txt');
    await p.createDirectUpload!({ key: decomposed, mime: 'text/plain', maxSize: 10 });
    for (const call of store.calls) expect((call.args[0] as { key: string }).key).toBe('docs/Café.txt');
  });

  test('a reference that is not an object is INVALID_INPUT', async () => {
    const { p } = make();
    expect((await rejection(p.delete(null as never))).message).toBe(
      '[tiny] a file reference must be an object with a "key", got null',
    );
  });
});

describe('upload input', () => {
  test.each([
    [{ mime: 'nonsense' }, 'mime must be a content type like "image/png", got "nonsense"'],
    [{ mime: 'text/plain\r\nx-amz-acl: public-read' }, 'mime must be a content type'],
    [{ mime: undefined }, 'mime must be a content type like "image/png", got undefined'],
    [{ size: -1 }, 'size must be a whole number of bytes, got -1'],
    [{ size: 1.5 }, 'size must be a whole number of bytes, got 1.5'],
    [{ name: 7 }, 'name must be a file name (a string), got 7'],
    [{ disposition: 'download' }, 'disposition must be "inline" or "attachment", got "download"'],
    [{ cacheControl: 'max-age=1\r\nx: y' }, 'cacheControl must be a string without control characters'],
    [{ metadata: 'x' }, 'metadata must be an object of string values'],
    [{ metadata: { '': 'x' } }, 'metadata names must not be empty'],
    [{ metadata: { a: 1 } }, 'metadata "a" must be a string'],
    [{ body: 'a string' }, 'body must be a Readable stream or a Uint8Array'],
  ])('%j is refused with one message, before the provider runs', async (change, message) => {
    const { store, p } = make();
    const error = await rejection(p.upload(file(change)));
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.message).toContain(`[tiny] ${message}`);
    expect(store.calls).toEqual([]);
  });

  test('a file that is not an object is INVALID_INPUT', async () => {
    const { p } = make();
    expect((await rejection(p.upload(null as never))).code).toBe('INVALID_INPUT');
  });

  test('metadata is held to maxMetadataBytes, and to header rules when it travels in headers', async () => {
    const { p } = make({ limits: { maxMetadataBytes: 10, metadataInHeaders: true } });
    expect((await rejection(p.upload(file({ metadata: { big: 'x'.repeat(8) } })))).message).toBe(
      '[tiny] metadata is 11 bytes; this storage takes at most 10',
    );
    expect((await rejection(p.upload(file({ metadata: { 'bad name': 'x' } })))).message).toBe(
      '[tiny] metadata name "bad name" must be letters, digits, "-", "_" or "."',
    );
    expect((await rejection(p.upload(file({ metadata: { note: 'naïve' } })))).message).toBe(
      '[tiny] metadata "note" must be printable ASCII (it travels in an HTTP header): encode it first',
    );
    await expect(p.upload(file({ metadata: { note: 'ok' } }))).resolves.toMatchObject({ size: 5 });
  });

  test('without header rules, any string metadata within the size passes', async () => {
    const { p } = make();
    await expect(p.upload(file({ metadata: { 'any name': 'naïve ✓' } }))).resolves.toMatchObject({ size: 5 });
  });
});

describe('sizes and the one stream guard', () => {
  test('a stream of exactly its declared size reaches the provider whole', async () => {
    const { store, p } = make();
    const stored = await p.upload(file({ body: bytesStream(300_000), size: 300_000 }));
    expect(stored.size).toBe(300_000);
    expect(store.objects.get('a/b.txt')?.length).toBe(300_000);
  });

  test('a stream longer than declared is TOO_LARGE as soon as it overflows, and nothing is stored', async () => {
    const { store, p } = make();
    const body = bytesStream(5 * MiB);
    const error = await rejection(p.upload(file({ body, size: 1000 })));
    expect([error.code, error.message]).toEqual([
      'TOO_LARGE',
      '[tiny] the body is longer than the 1000 bytes declared',
    ]);
    expect(error.details).toEqual({ declared: 1000 });
    expect(store.objects.size).toBe(0);
    // Cut off while streaming: the caller's stream is not read to its end, and is destroyed.
    expect(body.readableEnded).toBe(false);
    expect(body.destroyed).toBe(true);
  });

  test('a stream shorter than declared is INTEGRITY instead of its end, and nothing is stored', async () => {
    const { store, p } = make();
    const error = await rejection(p.upload(file({ body: bytesStream(1000), size: 5000 })));
    expect([error.code, error.message]).toEqual(['INTEGRITY', '[tiny] the body had 1000 bytes but 5000 were declared']);
    expect(error.details).toEqual({ actual: 1000, declared: 5000 });
    expect(store.objects.size).toBe(0);
  });

  test('bytes whose length is not the declared size are INTEGRITY with the same message, before the provider runs', async () => {
    const { store, p } = make();
    for (const size of [4, 6]) {
      const error = await rejection(p.upload(file({ size })));
      expect([error.code, error.message]).toEqual([
        'INTEGRITY',
        `[tiny] the body had 5 bytes but ${size} were declared`,
      ]);
    }
    expect(store.calls).toEqual([]);
  });

  test('a body that fails is INVALID_INPUT with its own error as cause', async () => {
    const { p } = make();
    const cause = new Error('client went away');
    const body = Readable.from(
      (async function* () {
        yield Buffer.from('part');
        throw cause;
      })(),
    );
    const error = await rejection(p.upload(file({ body })));
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.message).toBe('[tiny] the file body failed while it was read: Error: client went away');
    expect(error.cause).toBe(cause);
  });

  test('maxObjectSize: a larger declared size or byte array is TOO_LARGE up front; a longer stream is cut off', async () => {
    const { store, p } = make({ limits: { maxObjectSize: 4 * 1024 } });
    const declared = await rejection(p.upload(file({ body: bytesStream(10), size: 5 * 1024 })));
    expect([declared.code, declared.message]).toEqual([
      'TOO_LARGE',
      '[tiny] the file declares 5120 bytes; this storage takes at most 4 KiB',
    ]);
    expect((await rejection(p.upload(file({ body: randomBytes(5000) })))).code).toBe('TOO_LARGE');
    expect(store.calls).toEqual([]);
    const streamed = await rejection(p.upload(file({ body: bytesStream(10_000, 1000) })));
    expect([streamed.code, streamed.message]).toEqual([
      'TOO_LARGE',
      '[tiny] the body is larger than 4096 bytes, the most this storage takes',
    ]);
    expect(store.objects.size).toBe(0);
  });

  test('with emptyFiles: false, an empty file is INVALID_INPUT whether declared, bytes or a stream', async () => {
    const { store, p } = make({ capabilities: { ...ALL, emptyFiles: false } });
    const message = '[tiny] this storage does not store empty files (capabilities.emptyFiles is false)';
    expect((await rejection(p.upload(file({ body: bytesStream(0), size: 0 })))).message).toBe(message);
    expect((await rejection(p.upload(file({ body: new Uint8Array(0) })))).message).toBe(message);
    expect(store.calls).toEqual([]);
    expect((await rejection(p.upload(file({ body: Readable.from([]) })))).message).toBe(message);
    expect(store.objects.size).toBe(0);
    const { p: allowing } = make();
    await expect(allowing.upload(file({ body: Readable.from([]) }))).resolves.toMatchObject({ size: 0 });
  });
});

describe('ranges, lifetimes and download names', () => {
  test.each([
    [{ start: -1 }, 'a range must start at a whole number of bytes >= 0, got -1'],
    [{ start: 1.5 }, 'a range must start at a whole number of bytes >= 0, got 1.5'],
    [{ start: 10, end: 9 }, 'a range must end at or after its start (10), got 9'],
    [{ start: 0, end: Number.NaN }, 'a range must end at or after its start (0), got NaN'],
    ['bytes=0-1', 'a range must be { start, end? }, got "bytes=0-1"'],
  ])('read range %j is refused: %s', async (range, message) => {
    const { store, p } = make();
    const error = await rejection(p.read!({ key: 'a' }, range as never));
    expect([error.code, error.message]).toEqual(['INVALID_INPUT', `[tiny] ${message}`]);
    expect(store.calls).toEqual([]);
  });

  test('a good range reaches the provider as given', async () => {
    const { store, p } = make();
    await p.read!({ key: 'a' }, { start: 0, end: 0 });
    await p.read!({ key: 'a' }, { start: 5 });
    expect(store.calls.map((c) => c.args[1])).toEqual([{ start: 0, end: 0 }, { start: 5 }]);
  });

  test('expiresIn above maxExpiresIn, not positive, or not whole where seconds must be whole, is refused', async () => {
    const { store, p } = make({ limits: { maxExpiresIn: 604_800, wholeSeconds: true } });
    for (const expiresIn of [0, -1, 1.5, 604_801, Number.NaN, '60']) {
      const error = await rejection(p.signUrl({ key: 'a' }, { expiresIn } as never));
      expect(error.code).toBe('INVALID_INPUT');
      expect(error.message).toBe(
        `[tiny] expiresIn must be a whole number of seconds from 1 to 604800 (7 days), got ${typeof expiresIn === 'string' ? '"60"' : String(expiresIn)}`,
      );
    }
    expect(store.calls).toEqual([]);
    await p.signUrl({ key: 'a' }, { expiresIn: 604_800 });
  });

  test('fractions of a second pass where the provider does not count whole seconds; no limit, no upper bound', async () => {
    const { p } = make();
    await expect(p.signUrl({ key: 'a' }, { expiresIn: 0.2 })).resolves.toBeDefined();
    await expect(p.signUrl({ key: 'a' }, { expiresIn: 10 ** 9 })).resolves.toBeDefined();
    expect((await rejection(p.signUrl({ key: 'a' }, { expiresIn: 0 }))).message).toBe(
      '[tiny] expiresIn must be a number of seconds above 0, got 0',
    );
  });

  test('without expiresIn the provider applies its own configured default', async () => {
    const { store, p } = make({ limits: { maxExpiresIn: 60 } });
    const signed = await p.signUrl({ key: 'a' });
    expect(store.calls[0]?.args[1]).toEqual({});
    // The default (900 s) is the provider's business, even above the limit the core holds callers to.
    expect(signed.expiresAt.getTime()).toBeGreaterThan(Date.now() + 800_000);
  });

  test('downloadName must be a string and disposition inline or attachment', async () => {
    const { p } = make();
    expect((await rejection(p.signUrl({ key: 'a' }, { downloadName: 5 } as never))).message).toBe(
      '[tiny] downloadName must be a file name (a string), got 5',
    );
    expect((await rejection(p.signUrl({ key: 'a' }, { disposition: 'x' } as never))).message).toBe(
      '[tiny] disposition must be "inline" or "attachment", got "x"',
    );
  });
});

describe('direct-upload requests', () => {
  const limits = { maxExpiresIn: 604_800, maxDirectUploadExpiresIn: 3600, maxDirectUploadSize: 5 * 1024 ** 3 };
  const ok = { key: 'a/x.txt', mime: 'text/plain', maxSize: 10 };

  test.each([
    [{ mime: 'text' }, 'mime must be a content type ("image/png"), a family ("image/*") or "*/*", got "text"'],
    [{ mime: '*/plain' }, 'mime must be a content type ("image/png"), a family ("image/*") or "*/*", got "*/plain"'],
    [{ maxSize: -1 }, 'maxSize must be a whole number of bytes from 0 to 5368709120 (5 GiB), got -1'],
    [{ maxSize: 1.5 }, 'maxSize must be a whole number of bytes from 0 to 5368709120 (5 GiB), got 1.5'],
    [
      { maxSize: 6 * 1024 ** 3 },
      'maxSize must be a whole number of bytes from 0 to 5368709120 (5 GiB), got 6442450944',
    ],
    [{ minSize: 11 }, 'minSize must be a whole number of bytes from 0 to maxSize (10), got 11'],
    [{ minSize: -1 }, 'minSize must be a whole number of bytes from 0 to maxSize (10), got -1'],
    [{ expiresIn: 3601 }, 'expiresIn must be a number of seconds above 0 to 3600 (1 hour), got 3601'],
    [{ name: 5 }, 'name must be a file name (a string), got 5'],
  ])('%j is refused: %s', async (change, message) => {
    const { store, p } = make({ limits });
    const error = await rejection(p.createDirectUpload!({ ...ok, ...change } as never));
    expect([error.code, error.message]).toEqual(['INVALID_INPUT', `[tiny] ${message}`]);
    expect(store.calls).toEqual([]);
  });

  test('a type, a family and any type are accepted; the lifetime defaults to the provider', async () => {
    const { store, p } = make({ limits });
    for (const mime of ['image/png', 'image/*', '*/*', 'text/plain; charset=utf-8']) {
      await p.createDirectUpload!({ ...ok, mime });
    }
    expect(store.calls.map((c) => (c.args[0] as { mime: string }).mime)).toEqual([
      'image/png',
      'image/*',
      '*/*',
      'text/plain; charset=utf-8',
    ]);
  });

  test('with emptyFiles: false a direct upload must allow at least one byte', async () => {
    const { p } = make({ capabilities: { ...ALL, emptyFiles: false } });
    expect((await rejection(p.createDirectUpload!({ ...ok, maxSize: 0 }))).message).toBe(
      '[tiny] maxSize must be a whole number of bytes of at least 1, got 0',
    );
  });
});

describe('abort and close', () => {
  test('an already-aborted signal is ABORTED before the provider runs', async () => {
    const { store, p } = make();
    const error = await rejection(p.upload(file(), { signal: AbortSignal.abort() }));
    expect([error.code, error.message]).toEqual(['ABORTED', '[tiny] upload() was aborted before it started']);
    expect(store.calls).toEqual([]);
  });

  test('a signal that fires during the upload makes a stray error ABORTED', async () => {
    const controller = new AbortController();
    const p = guardProvider(
      bare({
        upload: async () => {
          controller.abort();
          throw Object.assign(new Error('This operation was aborted'), { name: 'AbortError' });
        },
      }),
    );
    const error = await rejection(p.upload(file(), { signal: controller.signal }));
    expect([error.code, error.message]).toEqual(['ABORTED', '[bare] upload() was aborted']);
  });

  test('after close() every async method is INTERNAL, saying so; url and isPrivate still answer', async () => {
    const { store, p } = make({ cleanup: true });
    await p.close!();
    const calls: [string, () => Promise<unknown>][] = [
      ['upload', () => p.upload(file())],
      ['delete', () => p.delete({ key: 'a' })],
      ['signUrl', () => p.signUrl({ key: 'a' })],
      ['stat', () => p.stat!({ key: 'a' })],
      ['read', () => p.read!({ key: 'a' })],
      ['createDirectUpload', () => p.createDirectUpload!({ key: 'a', mime: 'text/plain', maxSize: 1 })],
      ['cleanup', () => p.cleanup!({ olderThan: new Date() })],
    ];
    for (const [method, call] of calls) {
      const error = await rejection(call());
      expect([error.code, error.message]).toEqual([
        'INTERNAL',
        `[tiny] ${method}() was called after close(): create a new provider`,
      ]);
    }
    expect(p.url({ key: 'a' })).toBe('tiny://a');
    expect(p.isPrivate()).toBe(false);
    expect(methodsSeen(store)).toEqual(['url']);
  });

  test('close() is idempotent, closes the provider once, and exists even when the provider has none', async () => {
    const { store, p } = make();
    await Promise.all([p.close!(), p.close!()]);
    await p.close!();
    expect(store.closes).toBe(1);
    const plain = guardProvider(bare());
    await plain.close!();
    expect((await rejection(plain.delete({ key: 'a' }))).code).toBe('INTERNAL');
  });
});

/** A minimal provider object, made without defineProvider. */
function bare(over: Partial<UploadProvider> = {}): UploadProvider {
  return {
    name: 'bare',
    capabilities: { ...ALL, read: false, rangeRead: false, stat: false, directUpload: false },
    upload: async (f) => ({ key: f.key, url: 'x', size: 0, mime: f.mime }),
    delete: async () => undefined,
    isPrivate: () => true,
    url: (ref) => `bare://${ref.key}`,
    signUrl: async (ref) => ({ url: `bare://${ref.key}`, expiresAt: new Date() }),
    ...over,
  };
}

describe('errors that are not ProviderErrors', () => {
  test('become INTERNAL naming the provider and the method, with the original as cause', async () => {
    const cause = new TypeError("Cannot read properties of undefined (reading 'x')");
    const boom = () => {
      throw cause;
    };
    const p = guardProvider(
      bare({
        upload: async () => boom(),
        delete: async () => boom(),
        signUrl: async () => boom(),
        url: () => boom(),
        isPrivate: () => boom(),
      }),
    );
    const calls: [string, () => unknown][] = [
      ['upload', () => p.upload(file())],
      ['delete', () => p.delete({ key: 'a' })],
      ['signUrl', () => p.signUrl({ key: 'a' })],
      ['url', () => p.url({ key: 'a' })],
      ['isPrivate', () => p.isPrivate()],
    ];
    for (const [method, call] of calls) {
      const error = await rejection(call);
      expect([error.code, error.message, error.provider]).toEqual([
        'INTERNAL',
        `[bare] ${method}() failed: Cannot read properties of undefined (reading 'x')`,
        'bare',
      ]);
      expect(error.cause).toBe(cause);
      expect(error.details).toEqual({ method });
    }
  });

  test('a ProviderError passes through as it is', async () => {
    const own = new ProviderError('NOT_FOUND', 'gone', { provider: 'bare' });
    const p = guardProvider(
      bare({
        delete: async () => {
          throw own;
        },
      }),
    );
    expect(await rejection(p.delete({ key: 'a' }))).toBe(own);
  });
});

describe('capabilities and methods, checked at creation', () => {
  const author = (provider: UploadProvider) => {
    try {
      guardProvider(provider);
    } catch (error) {
      return error as ProviderError;
    }
    throw new Error('expected the provider to be refused');
  };

  test('a declared capability without its method is an error for the author', () => {
    const e = author(bare({ capabilities: { ...ALL, stat: false, directUpload: false } }));
    expect(e.code).toBe('INTERNAL');
    expect(e.message).toBe(
      '[bare] the provider is not written to the contract: capabilities.read is true but read() is missing',
    );
  });

  test('a method whose capability is false is an error for the author', () => {
    const e = author(bare({ stat: async () => null }));
    expect(e.message).toContain('stat() is there but capabilities.stat is false: declare it, or leave the method out');
  });

  test('every problem is named at once: missing methods, non-boolean capabilities, rangeRead without read', () => {
    const e = author({
      ...bare(),
      signUrl: undefined,
      capabilities: { ...bare().capabilities, rangeRead: true, unknownSize: 'yes' },
    } as never);
    expect(e.details?.problems).toEqual([
      'it lacks signUrl()',
      'capabilities.unknownSize must be true or false',
      'capabilities.rangeRead needs capabilities.read',
    ]);
    expect(author({ ...bare(), capabilities: undefined } as never).message).toContain('it declares no capabilities');
  });

  test('defineProvider refuses such a provider when the factory runs', () => {
    const factory = defineProvider({
      name: 'half',
      options: z.object({}),
      capabilities: ALL,
      create: () => bare(),
    });
    expect(() => factory({})).toThrow('[half] the provider is not written to the contract: capabilities.read is true');
  });

  test('an optional method whose capability is false answers UNSUPPORTED, and a copy does not carry it', async () => {
    const p = guardProvider(bare());
    const error = await rejection(p.createDirectUpload!({ key: 'a', mime: 'text/plain', maxSize: 1 }));
    expect([error.code, error.message]).toEqual([
      'UNSUPPORTED',
      '[bare] createDirectUpload() is not supported: capabilities.directUpload is false',
    ]);
    expect((await rejection(p.read!({ key: 'a' }))).code).toBe('UNSUPPORTED');
    expect({ ...p }).not.toHaveProperty('createDirectUpload');
    expect(Object.keys(p)).not.toContain('stat');
  });
});

describe('defineProvider', () => {
  test('sets name and capabilities on the provider, from the definition', () => {
    const { p } = make({ capabilities: { ...ALL, downloadName: false } });
    expect(p.name).toBe('tiny');
    expect(p.capabilities).toEqual({ ...ALL, downloadName: false });
    expect(Object.isFrozen(p.capabilities)).toBe(true);
    expect(isGuarded(p)).toBe(true);
  });

  test('capabilities and limits may be computed from validated options; capabilitiesFor creates nothing', async () => {
    let created = 0;
    const factory = defineProvider({
      name: 'computed',
      options: z.object({ posts: z.boolean().default(true), maxBytes: z.number().default(10) }),
      capabilities: (o) => ({ ...ALL, read: false, rangeRead: false, stat: false, directUpload: o.posts }),
      limits: (o) => ({ maxObjectSize: o.maxBytes }),
      create: (o) => {
        created += 1;
        const p = bare();
        return o.posts ? { ...p, createDirectUpload: async () => ({}) as never } : p;
      },
    });
    expect(factory.capabilitiesFor({ posts: false }).directUpload).toBe(false);
    expect(factory.capabilitiesFor({}).directUpload).toBe(true);
    expect(created).toBe(0);
    expect(() => factory.capabilitiesFor({ posts: 'no' } as never)).toThrow(/\[computed\] invalid options: posts/);
    const small = factory({ maxBytes: 3 });
    expect((await rejection(small.upload(file()))).code).toBe('TOO_LARGE');
    await expect(factory({ maxBytes: 5 }).upload(file())).resolves.toBeDefined();
  });

  test('the older form, with capabilities returned by create, still works; capabilitiesFor then creates and closes', async () => {
    let closed = 0;
    const factory = defineProvider({
      name: 'older',
      options: z.object({}),
      create: () =>
        bare({
          name: 'older',
          close: async () => {
            closed += 1;
          },
        }),
    });
    const p = factory({});
    expect([p.name, p.capabilities.read]).toEqual(['older', false]);
    expect(factory.capabilitiesFor({})).toEqual(bare().capabilities);
    await new Promise((resolve) => setImmediate(resolve));
    expect(closed).toBe(1);
  });
});

describe('guardProvider', () => {
  test('guards a plain object in place, once', async () => {
    const raw = bare();
    const p = guardProvider(raw);
    expect(p).toBe(raw);
    expect(guardProvider(p)).toBe(p);
    expect((await rejection(p.delete({ key: '../x' }))).code).toBe('INVALID_INPUT');
  });

  test('copies a frozen object instead of changing it', async () => {
    const raw = Object.freeze(bare());
    const p = guardProvider(raw);
    expect(p).not.toBe(raw);
    expect((await rejection(p.delete({ key: '../x' }))).code).toBe('INVALID_INPUT');
    await expect(raw.delete({ key: '../x' })).resolves.toBeUndefined();
  });

  test('loadProvider guards a provider object it is given', async () => {
    const raw = bare();
    const p = await loadProvider(raw);
    expect(p).toBe(raw);
    expect(isGuarded(p)).toBe(true);
    expect((await rejection(p.signUrl({ key: 'a' }, { expiresIn: -5 }))).code).toBe('INVALID_INPUT');
  });
});

describe('cleanup', () => {
  test('passes through when the provider has it, with olderThan checked', async () => {
    const { store, p } = make({ cleanup: true });
    await expect(p.cleanup!({ olderThan: new Date(0) })).resolves.toEqual({ removed: 0 });
    expect(methodsSeen(store)).toEqual(['cleanup']);
    for (const olderThan of [undefined, '2020-01-01', new Date(Number.NaN)]) {
      expect((await rejection(p.cleanup!({ olderThan } as never))).message).toBe(
        '[tiny] cleanup needs { olderThan: Date }, a valid date',
      );
    }
  });

  test('is absent when the provider has none', () => {
    expect(make().p.cleanup).toBeUndefined();
  });
});

describe('prefixOption and the formatters', () => {
  test('prefixOption normalises a safe prefix and names the option when it is not', () => {
    const schema = z.object({ folder: prefixOption('folder').optional() });
    expect(schema.parse({ folder: '/a/b/' })).toEqual({ folder: 'a/b' });
    expect(schema.parse({ folder: '' })).toEqual({ folder: '' });
    expect(schema.parse({})).toEqual({});
    expect(schema.safeParse({ folder: '../up' }).error?.issues[0]?.message).toBe(
      'folder is not a safe key prefix (a key must not have "." or ".." segments: "../up")',
    );
    expect(schema.safeParse({ folder: 7 }).error?.issues[0]?.message).toBe(
      'folder must be a string such as "uploads/2026"',
    );
  });

  test('formatBytes and formatSeconds name exact units and fall back to plain numbers', () => {
    expect([formatBytes(5 * 1024 ** 4), formatBytes(5 * 1024 ** 3), formatBytes(1000), formatBytes(0)]).toEqual([
      '5 TiB',
      '5 GiB',
      '1000 bytes',
      '0 bytes',
    ]);
    expect([formatSeconds(604_800), formatSeconds(3600), formatSeconds(120), formatSeconds(90)]).toEqual([
      '7 days',
      '1 hour',
      '2 minutes',
      '90 seconds',
    ]);
  });
});
