// The suite must fail providers that break the contract. Each broken provider below is the working memory provider
// with one defect; running the suite on it must fail the cases that guard against that defect.

import { Transform } from 'node:stream';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { normaliseKey, type ProviderFile, toReadable, type UploadProvider } from 'upload-provider';
import { type CaseResult, runConformance } from '../src/index.js';
import { type MemoryBackend, memoryProvider, serveMemory } from './support/memory-provider.js';

let backend: MemoryBackend;
beforeAll(async () => {
  backend = await serveMemory();
});
afterAll(() => new Promise<void>((resolve) => backend.server.close(() => resolve())));

const base = { largeFileBytes: 1024 * 1024 };

function failures(results: CaseResult[]): string[] {
  return results.filter((r) => !r.ok).map((r) => `${r.group} › ${r.name}`);
}

async function run(name: string, make: () => UploadProvider, setup?: () => void): Promise<CaseResult[]> {
  setup?.();
  try {
    return await runConformance({ name, create: make, ...base });
  } finally {
    backend.checkExpiry = true;
  }
}

describe('the conformance suite', () => {
  test('passes a provider that honours the contract, public and private', async () => {
    for (const priv of [false, true]) {
      const results = await run('memory', () => memoryProvider({ backend, private: priv }));
      expect(failures(results)).toEqual([]);
      expect(results.length).toBeGreaterThan(20);
    }
  });

  test('fails a provider that stores different bytes', async () => {
    const results = await run('wrong bytes', () => {
      const good = memoryProvider({ backend });
      return {
        ...good,
        upload: (file: ProviderFile, opts) => {
          let first = true;
          const corrupt = new Transform({
            transform(chunk: Buffer, _e, done) {
              if (first && chunk.length > 0) {
                first = false;
                const copy = Buffer.from(chunk);
                copy[0] = copy[0]! ^ 0xff;
                return done(null, copy);
              }
              done(null, chunk);
            },
          });
          return good.upload({ ...file, body: toReadable(file.body).pipe(corrupt) }, opts);
        },
      };
    });
    expect(failures(results)).toEqual(
      expect.arrayContaining([
        'round trip › bytes come back byte for byte',
        'round trip › a stream with a declared size comes back byte for byte',
      ]),
    );
  });

  test('fails a provider whose delete does not delete', async () => {
    const results = await run('no-op delete', () => ({ ...memoryProvider({ backend }), delete: async () => {} }));
    expect(failures(results)).toContain('delete › a deleted object no longer serves, and deleting again resolves');
  });

  test('fails a provider whose signatures never expire', async () => {
    const results = await run(
      'signatures never expire',
      () => memoryProvider({ backend, private: true }),
      () => {
        backend.checkExpiry = false;
      },
    );
    expect(failures(results)).toEqual(['signed URLs › an expired signed URL is refused']);
  });

  test('fails a provider that lets a key escape its prefix', async () => {
    const results = await run('no key checks', () => {
      const good = memoryProvider({ backend, prefix: 'tenant-a' });
      // Uses the key as given, so `../x` names an object outside `tenant-a/`.
      const raw = (key: string) => key;
      return {
        ...good,
        upload: async (file: ProviderFile) => {
          const bytes = Buffer.concat(await toReadable(file.body).toArray());
          backend.objects.set(`tenant-a/${raw(file.key)}`, { bytes, mime: file.mime });
          return {
            key: file.key,
            url: good.url({ key: normaliseKey(file.key.replace(/\.\.+/g, '_') || 'x') }),
            size: bytes.length,
            mime: file.mime,
          };
        },
      };
    });
    expect(failures(results)).toContain('keys › keys that could escape are refused by every method with INVALID_INPUT');
  });

  test('fails a provider that reports a missing object with the wrong error', async () => {
    const results = await run('wrong codes', () => {
      const good = memoryProvider({ backend });
      return {
        ...good,
        read: async (ref, range) => {
          if (!backend.objects.has(ref.key)) throw new Error('ENOENT');
          return good.read!(ref, range);
        },
      };
    });
    expect(failures(results)).toEqual(expect.arrayContaining(['errors › missing objects are reported as missing']));
  });

  test('fails a provider that accepts a body of the wrong size', async () => {
    const results = await run('no size checks', () => {
      const good = memoryProvider({ backend });
      return { ...good, upload: (file: ProviderFile, opts) => good.upload({ ...file, size: undefined }, opts) };
    });
    expect(failures(results)).toEqual(
      expect.arrayContaining([
        'upload failures › a body shorter than its declared size is refused and leaves nothing',
        'upload failures › a body longer than its declared size is refused and leaves nothing',
      ]),
    );
  });

  test('fails a provider that declares a capability it does not have', async () => {
    const results = await run('false capability', () => {
      const good = memoryProvider({ backend });
      return { ...good, capabilities: { ...good.capabilities, directUpload: true } };
    });
    expect(failures(results)).toContain('contract › declares a name, capabilities and the methods they promise');
  });

  test('fails a provider that declares it refuses empty files but stores them', async () => {
    const results = await run('empty files stored anyway', () => {
      const good = memoryProvider({ backend });
      return { ...good, capabilities: { ...good.capabilities, emptyFiles: false } };
    });
    expect(failures(results)).toEqual([
      'round trip › an empty file is refused with INVALID_INPUT and stores nothing (emptyFiles: false)',
    ]);
  });
});
