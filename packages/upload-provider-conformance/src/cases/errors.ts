import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { assertGone, expectCode } from './assert.js';
import { group, type Plan, type SuiteShape } from './plan.js';
import { servingUrl } from './urls.js';

/** A failed upload rejects with the contract's code and leaves nothing behind. */
export function uploadFailureCases(_s: SuiteShape): Plan {
  const g = group('upload failures');

  g.test('a body shorter than its declared size is refused and leaves nothing', async (ctx) => {
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

  g.test('a body longer than its declared size is refused and leaves nothing', async (ctx) => {
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

  g.test('an aborted upload rejects with ABORTED and leaves nothing', async (ctx) => {
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

  return g.plan;
}

/** A missing object is reported as missing by every method and URL. */
export function errorCases(s: SuiteShape): Plan {
  const g = group('errors');

  g.test('missing objects are reported as missing', async (ctx) => {
    const ref = { key: ctx.key('missing.bin') };
    if (s.capabilities.stat) assert.equal(await ctx.provider.stat!(ref), null, 'stat() of a missing object is null');
    if (s.capabilities.read) await expectCode(ctx.provider.read!(ref), ['NOT_FOUND'], 'read() of a missing object');
    const res = await ctx.fetch(await servingUrl(ctx, ref));
    await res.body?.cancel();
    assert.ok(
      res.status === 404 || res.status === 403,
      `GET of a missing object answers 404 (or 403), got ${res.status}`,
    );
  });

  return g.plan;
}
