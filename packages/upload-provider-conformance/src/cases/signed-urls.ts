import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { hashResponse, sha256 } from '../bytes.js';
import { assertDenied, assertSignedUrlRefused, expectCode } from './assert.js';
import { group, type Plan, type SuiteShape } from './plan.js';
import { upload } from './upload.js';
import { swapObject, tamperSignature } from './urls.js';

export function signedUrlCases(s: SuiteShape): Plan {
  const g = group('signed URLs');

  g.test('a signed URL serves the object until its expiresAt', async (ctx) => {
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
    if (s.enforce.signedUrls === false)
      assert.equal(await ctx.options.verifySignedUrl!(signed.url, new Date()), true, 'a fresh signed URL verifies');
  });

  g.test('an expired signed URL is refused', async (ctx) => {
    const stored = await upload(ctx, randomBytes(100));
    const signed = await ctx.provider.signUrl(stored, { expiresIn: 1 });
    if (s.enforce.signedUrls === false) {
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

  g.test('a tampered signature is refused', async (ctx) => {
    const stored = await upload(ctx, randomBytes(100));
    const signed = await ctx.provider.signUrl(stored, { expiresIn: 300 });
    await assertSignedUrlRefused(ctx, tamperSignature(signed.url), 'a signed URL with a changed signature');
  });

  g.test('a signature for one object does not serve another', async (ctx) => {
    const a = await upload(ctx, randomBytes(100), { key: ctx.key('a-object.bin') });
    const b = await upload(ctx, randomBytes(100), { key: ctx.key('b-object.bin') });
    const signedA = await ctx.provider.signUrl(a, { expiresIn: 300 });
    const signedB = await ctx.provider.signUrl(b, { expiresIn: 300 });
    const swapped = swapObject(signedA.url, signedB.url);
    await assertSignedUrlRefused(ctx, swapped, "object A's signature on object B's name");
  });

  g.test('a lifetime that is not positive is refused', async (ctx) => {
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

  return g.plan;
}

/** Private objects are served only through signed URLs. */
export function privateCases(_s: SuiteShape): Plan {
  const g = group('private');

  g.test('the plain URL of a private object does not serve it', async (ctx) => {
    const stored = await upload(ctx, randomBytes(100));
    await assertDenied(ctx, stored.url, 'the plain URL of a private object');
  });

  return g.plan;
}
