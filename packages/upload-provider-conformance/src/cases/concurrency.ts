import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { hashResponse, sha256 } from '../bytes.js';
import { assertStored } from './assert.js';
import { group, type Plan, type SuiteShape } from './plan.js';
import { upload } from './upload.js';
import { servingUrl } from './urls.js';

export function concurrencyCases(s: SuiteShape): Plan {
  const g = group('concurrency');

  g.test('concurrent uploads of different files do not collide', async (ctx) => {
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

  g.when(
    s.enforce.atomicOverwrite,
    'enforces.atomicOverwrite is off',
    'two uploads to the same key leave one whole file, never a mix',
    async (ctx) => {
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
    },
  );

  return g.plan;
}
