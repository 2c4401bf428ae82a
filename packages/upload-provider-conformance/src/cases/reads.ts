import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { hashStream, sha256 } from '../bytes.js';
import { expectCode } from './assert.js';
import { group, type Plan, type SuiteShape } from './plan.js';
import { upload } from './upload.js';

export function statCases(_s: SuiteShape): Plan {
  const g = group('stat');

  g.test('stat reports size and type', async (ctx) => {
    const bytes = randomBytes(1234);
    const stored = await upload(ctx, bytes, { mime: 'image/png', key: ctx.key('s.png') });
    const info = await ctx.provider.stat!(stored);
    assert.ok(info, 'stat() of a stored object is not null');
    assert.equal(info.size, 1234);
    assert.equal(info.key, stored.key);
  });

  return g.plan;
}

export function rangeCases(_s: SuiteShape): Plan {
  const g = group('ranges');

  g.test('read honours byte ranges and refuses ranges past the end', async (ctx) => {
    const bytes = randomBytes(10_000);
    const stored = await upload(ctx, bytes);
    const mid = await hashStream(await ctx.provider.read!(stored, { start: 100, end: 199 }));
    assert.equal(mid.hash, sha256(bytes.subarray(100, 200)), 'range 100-199');
    const tail = await hashStream(await ctx.provider.read!(stored, { start: 9_000 }));
    assert.equal(tail.hash, sha256(bytes.subarray(9_000)), 'open-ended range from 9000');
    await expectCode(ctx.provider.read!(stored, { start: 20_000 }), ['INVALID_INPUT'], 'a range starting past the end');
    await expectCode(
      ctx.provider.read!(stored, { start: 50, end: 10 }),
      ['INVALID_INPUT'],
      'a range that ends before it starts',
    );
  });

  return g.plan;
}
