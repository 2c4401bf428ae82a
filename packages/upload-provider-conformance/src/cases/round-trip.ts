import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { generatedStream, sha256 } from '../bytes.js';
import { assertGone, assertStored, expectCode } from './assert.js';
import { group, type Plan, type SuiteShape } from './plan.js';
import { upload } from './upload.js';

export function roundTripCases(s: SuiteShape): Plan {
  const g = group('round trip');
  const large = s.largeFileBytes;

  g.test('bytes come back byte for byte', async (ctx) => {
    const bytes = randomBytes(96 * 1024 + 7);
    const stored = await upload(ctx, bytes);
    await assertStored(ctx, stored, sha256(bytes), bytes.byteLength);
  });

  g.test('a stream with a declared size comes back byte for byte', async (ctx) => {
    const size = 300 * 1024 + 3;
    const { stream, expected } = generatedStream(size, 16 * 1024);
    const stored = await upload(ctx, stream, { size });
    await assertStored(ctx, stored, expected, size);
  });

  g.when(
    s.capabilities.unknownSize,
    'capability unknownSize not declared',
    'a stream of unknown size comes back byte for byte',
    async (ctx) => {
      const size = 200 * 1024 + 11;
      const { stream, expected } = generatedStream(size, 10 * 1024);
      const stored = await upload(ctx, stream);
      await assertStored(ctx, stored, expected, size);
    },
  );

  if (s.capabilities.emptyFiles === false) {
    g.test('an empty file is refused with INVALID_INPUT and stores nothing (emptyFiles: false)', async (ctx) => {
      const key = ctx.key('empty.txt');
      await expectCode(
        ctx.provider.upload({ key, body: new Uint8Array(0), size: 0, mime: 'text/plain', name: 'empty.txt' }),
        ['INVALID_INPUT'],
        'upload of an empty file',
      );
      await assertGone(ctx, { key });
    });
  } else {
    g.test('an empty file is stored and served empty', async (ctx) => {
      const stored = await upload(ctx, new Uint8Array(0), {
        mime: 'text/plain',
        name: 'empty.txt',
        key: ctx.key('empty.txt'),
      });
      await assertStored(ctx, stored, sha256(new Uint8Array(0)), 0);
    });
  }

  g.test(
    `a ${Math.round(large / 1048576)} MiB file streamed from a generator comes back byte for byte`,
    async (ctx) => {
      // The source makes 64 KiB at a time and never holds the file; the provider must stream it on.
      const { stream, expected } = generatedStream(large);
      const stored = await upload(ctx, stream, { size: large, key: ctx.key('large.bin') });
      await assertStored(ctx, stored, expected, large);
    },
  );

  g.test('the returned key is the normalised key and its url names it', async (ctx) => {
    const key = ctx.key('Straße und Ümlaut.txt');
    const stored = await upload(ctx, Buffer.from('hello'), { key: `/${key}`, mime: 'text/plain' });
    assert.equal(stored.key, key.normalize('NFC'), 'a leading slash is dropped and the key is NFC');
    assert.equal(stored.url, ctx.provider.url(stored), 'url(ref) must give the same plain URL as upload');
  });

  return g.plan;
}
