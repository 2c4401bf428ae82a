import { randomBytes } from 'node:crypto';
import { describe, expect, test } from '@jest/globals';
import { v2 as sdk } from 'cloudinary';
import { isProviderError } from 'upload-provider';
import { PNG } from './support/bytes.js';
import { API_KEY, API_SECRET, CLOUD, useTestCloud } from './support/setup.js';
import { apiSignature } from './support/signatures.js';

const cloud = useTestCloud();
const uniq = () => randomBytes(6).toString('hex');

describe('signed URLs (the download API, which expires)', () => {
  test('a signed URL names the asset, carries expires_at, and its signature checks out with our own algorithm', async () => {
    const p = cloud.make({ delivery: 'authenticated' });
    const stored = await p.upload({ key: `s/${uniq()}/cat.png`, body: PNG, mime: 'image/png', name: 'cat.png' });
    const before = Math.floor(Date.now() / 1000);
    const { url, expiresAt } = await p.signUrl(stored, { expiresIn: 120 });
    const u = new URL(url);
    expect(u.origin + u.pathname).toBe(`${cloud.server.apiUrl}/v1_1/${CLOUD}/image/download`);
    const params = Object.fromEntries(u.searchParams.entries());
    expect(params).toMatchObject({
      public_id: (stored.providerMetadata as { public_id: string }).public_id,
      format: 'png',
      type: 'authenticated',
      api_key: API_KEY,
    });
    expect(Number(params.expires_at)).toBeGreaterThanOrEqual(before + 120);
    expect(expiresAt.getTime()).toBe(Number(params.expires_at) * 1000);
    expect(params.signature).toBe(apiSignature(params, API_SECRET, 'sha1'));
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer())).toEqual(PNG);
  });

  test('the plain URL of an authenticated asset is refused, and a signed delivery URL would never expire', async () => {
    const p = cloud.make({ delivery: 'authenticated' });
    const stored = await p.upload({ key: `s/${uniq()}/cat.png`, body: PNG, mime: 'image/png', name: 'cat.png' });
    expect((await fetch(stored.url)).status).toBe(401);
    // Cloudinary's s--signature-- delivery URLs (made here by the SDK itself) carry no time at all: this is why
    // signUrl uses the download API instead. The test server accepts them, as Cloudinary does.
    const loc = stored.providerMetadata as { public_id: string; version: number };
    const forever = sdk.url(loc.public_id, {
      cloud_name: CLOUD,
      api_secret: API_SECRET,
      resource_type: 'image',
      type: 'authenticated',
      format: 'png',
      version: loc.version,
      sign_url: true,
      secure: false,
      cname: cloud.server.deliveryHost,
      urlAnalytics: false,
    });
    expect(forever).toMatch(/\/image\/authenticated\/s--[\w-]{8}--\/v\d+\//);
    expect(forever).not.toMatch(/expires|exp=/);
    expect((await fetch(forever)).status).toBe(200);
  });

  test('sha256 accounts sign with sha256', async () => {
    const p = cloud.make({ delivery: 'private', signatureAlgorithm: 'sha256' });
    const key = `s/${uniq()}/doc.txt`;
    // The test server signs with sha1, so a sha256 signature is refused: proof the option reaches every signature.
    const e = await p.upload({ key, body: Buffer.from('x'), mime: 'text/plain', name: 'x' }).catch((err) => err);
    expect(isProviderError(e, 'ACCESS_DENIED')).toBe(true);
    const { url } = await p.signUrl({ key }, { expiresIn: 60 });
    const params = Object.fromEntries(new URL(url).searchParams.entries());
    expect(params.signature).toBe(apiSignature(params, API_SECRET, 'sha256'));
  });

  test('disposition attachment asks the download API for an attachment', async () => {
    const p = cloud.make({ delivery: 'private' });
    const stored = await p.upload({
      key: `s/${uniq()}/notes.txt`,
      body: Buffer.from('notes'),
      mime: 'text/plain',
      name: 'notes.txt',
    });
    const { url } = await p.signUrl(stored, { expiresIn: 60, disposition: 'attachment' });
    expect(new URL(url).searchParams.get('attachment')).toBe('true');
    const res = await fetch(url);
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="notes.txt"/);
  });

  test('the default lifetime is urlExpiresIn, and lifetimes over 7 days are refused', async () => {
    const p = cloud.make({ delivery: 'private', urlExpiresIn: 300 });
    const before = Date.now();
    const { expiresAt } = await p.signUrl({ key: 'a.txt' });
    expect(expiresAt.getTime() - before).toBeGreaterThan(299_000);
    expect(expiresAt.getTime() - before).toBeLessThanOrEqual(300_000);
    const e = await p.signUrl({ key: 'a.txt' }, { expiresIn: 8 * 24 * 3600 }).catch((err) => err);
    expect(isProviderError(e, 'INVALID_INPUT')).toBe(true);
  });
});
