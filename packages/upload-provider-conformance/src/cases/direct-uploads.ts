import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { hashResponse, sha256 } from '../bytes.js';
import { decodePostPolicy } from '../policy.js';
import { assertPostRefused } from './assert.js';
import { postForm, typeFieldOf } from './forms.js';
import { group, type Plan, type SuiteShape } from './plan.js';
import { servingUrl } from './urls.js';

/**
 * Browser form POSTs with the provider's credentials. When the backend does not enforce policies
 * (`enforces.directUploadPolicy: false`), each refusal case checks the signed policy's condition instead.
 */
export function directUploadCases(s: SuiteShape): Plan {
  const g = group('direct uploads');
  const enforced = s.enforce.directUploadPolicy;
  const sizeEnforced = s.enforce.directUploadSize;

  g.test('a conforming form POST is stored under the pinned key', async (ctx) => {
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
    g.test(
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
    g.test('a POST over the size limit is refused and stores nothing', async (ctx) => {
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

  g.test('a POST of another content type is refused and stores nothing', async (ctx) => {
    const key = ctx.key('typed.png');
    const du = await ctx.provider.createDirectUpload!({ key, mime: 'image/png', maxSize: 10_000 });
    ctx.track(du.key, du.providerMetadata);
    if (!enforced) {
      const policy = decodePostPolicy(du);
      assert.deepEqual(policy.contentType, { exact: 'image/png' }, 'the policy pins the content type');
      return;
    }
    const typeField = typeFieldOf(du);
    const override: Record<string, string> = typeField ? { [typeField]: 'text/html' } : {};
    const res = await postForm(ctx, du, Buffer.from('<script>alert(1)</script>'), 'text/html', 'page.html', override);
    await assertPostRefused(ctx, res, key, 'a POST of text/html where image/png is pinned');
  });

  g.test('a family type (image/*) admits that family only', async (ctx) => {
    const key = ctx.key('family.img');
    const du = await ctx.provider.createDirectUpload!({ key, mime: 'image/*', maxSize: 10_000 });
    ctx.track(du.key, du.providerMetadata);
    if (!enforced) {
      const policy = decodePostPolicy(du);
      assert.deepEqual(policy.contentType, { prefix: 'image/' }, 'the policy admits image/ types only');
      return;
    }
    const typeField = typeFieldOf(du);
    const override: Record<string, string> = typeField ? { [typeField]: 'application/pdf' } : {};
    await assertPostRefused(
      ctx,
      await postForm(ctx, du, Buffer.from('%PDF-1.4'), 'application/pdf', 'x.pdf', override),
      key,
      'a PDF where image/* is pinned',
    );
  });

  g.test('a POST that changes the key is refused', async (ctx) => {
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

  g.test('expired credentials are refused', async (ctx) => {
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

  return g.plan;
}
