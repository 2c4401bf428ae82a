import assert from 'node:assert/strict';
import { isProviderError, type ProviderErrorCode, type StoredFile, type StoredRef } from 'upload-provider';
import { hashResponse, hashStream } from '../bytes.js';
import type { Ctx } from './plan.js';
import { redactUrl, servingUrl } from './urls.js';

/** Awaits `promise` and asserts it rejects with a `ProviderError` of one of `codes`. */
export async function expectCode(promise: Promise<unknown>, codes: ProviderErrorCode[], what: string): Promise<void> {
  let error: unknown;
  try {
    await promise;
  } catch (e) {
    error = e;
  }
  assert.ok(error !== undefined, `${what}: expected a ProviderError with code ${codes.join(' or ')}, but it resolved`);
  assert.ok(
    isProviderError(error, ...codes),
    `${what}: expected a ProviderError with code ${codes.join(' or ')}, got ${describeError(error)}`,
  );
}

export function describeError(error: unknown): string {
  if (isProviderError(error)) return `ProviderError ${error.code}: ${error.message}`;
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

/** Reads an object back every way the provider offers and checks each against `expected` (SHA-256). */
export async function assertStored(ctx: Ctx, stored: StoredFile, expected: string, size: number): Promise<void> {
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

/** Asserts the object is missing every way the provider can tell, and that its URL does not serve. */
export async function assertGone(ctx: Ctx, ref: StoredRef): Promise<void> {
  if (ctx.provider.capabilities.stat) assert.equal(await ctx.provider.stat!(ref), null, 'stat() should be null');
  if (ctx.provider.capabilities.read)
    await expectCode(ctx.provider.read!(ref), ['NOT_FOUND'], 'read() of a missing object');
  const url = await servingUrl(ctx, ref);
  const res = await ctx.fetch(url);
  await res.body?.cancel();
  assert.ok(res.status >= 400, `a missing object must not serve; GET answered ${res.status}`);
}

export async function assertDenied(ctx: Ctx, url: string, what: string): Promise<void> {
  const res = await ctx.fetch(url);
  await res.body?.cancel();
  assert.ok(res.status >= 400 && res.status < 500, `${what} must be refused with a 4xx, got ${res.status}`);
}

/** A bad signed URL is refused by the backend, or (when it does not check signatures) by `verifySignedUrl`. */
export async function assertSignedUrlRefused(ctx: Ctx, url: string, what: string): Promise<void> {
  if (ctx.options.enforces?.signedUrls === false) {
    assert.equal(await ctx.options.verifySignedUrl!(url, new Date()), false, `${what} must not verify`);
    return;
  }
  await assertDenied(ctx, url, what);
}

/** A refused form POST answers 4xx and leaves nothing under `key`. */
export async function assertPostRefused(ctx: Ctx, res: Response, key: string, what: string): Promise<void> {
  const text = await res.text();
  assert.ok(
    res.status >= 400 && res.status < 500,
    `${what} must be refused with a 4xx, got ${res.status}: ${text.slice(0, 200)}`,
  );
  if (ctx.provider.capabilities.stat)
    assert.equal(await ctx.provider.stat!({ key }), null, `${what} must store nothing`);
}
