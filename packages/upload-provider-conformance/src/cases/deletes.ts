import assert from 'node:assert/strict';
import { assertGone } from './assert.js';
import { group, type Plan, type SuiteShape } from './plan.js';
import { upload } from './upload.js';
import { servingUrl } from './urls.js';

export function deleteCases(_s: SuiteShape): Plan {
  const g = group('delete');

  g.test('a deleted object no longer serves, and deleting again resolves', async (ctx) => {
    const stored = await upload(ctx, Buffer.from('to be deleted'), { mime: 'text/plain' });
    const before = await servingUrl(ctx, stored);
    await ctx.provider.delete(stored);
    await assertGone(ctx, stored);
    const res = await ctx.fetch(before);
    await res.body?.cancel();
    assert.ok(res.status >= 400, `a URL made before the delete must stop serving, got ${res.status}`);
    await ctx.provider.delete(stored);
  });

  g.test('deleting an object that never existed resolves', async (ctx) => {
    await ctx.provider.delete({ key: ctx.key('never-existed.bin') });
  });

  return g.plan;
}
