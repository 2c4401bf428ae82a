import { randomBytes } from 'node:crypto';
import { describe, expect, test } from '@jest/globals';
import { isProviderError } from 'upload-provider';
import { PNG } from './support/bytes.js';
import { API_KEY, API_SECRET, CLOUD, useTestCloud } from './support/setup.js';
import { apiSignature } from './support/signatures.js';

const cloud = useTestCloud();
const uniq = () => randomBytes(6).toString('hex');

function post(
  du: { url: string; fields: Record<string, string>; fileField: string },
  bytes: Uint8Array,
  type: string,
  override: Record<string, string> = {},
) {
  const form = new FormData();
  for (const [k, v] of Object.entries({ ...du.fields, ...override })) form.append(k, v);
  form.append(du.fileField, new Blob([bytes], { type }), 'upload');
  return fetch(du.url, { method: 'POST', body: form });
}

describe('direct uploads (signed browser forms)', () => {
  test('the fields are the signed parameters plus api_key and signature; the signature checks out with our own code', async () => {
    const p = cloud.make({ delivery: 'private', folder: 'inbox', uploadPreset: 'moderated', tags: ['direct'] });
    const key = `d/${uniq()}/photo.png`;
    const before = Math.floor(Date.now() / 1000);
    const du = await p.createDirectUpload({ key, mime: 'image/png', maxSize: 5000, expiresIn: 600 });
    expect(du.url).toBe(`${cloud.server.apiUrl}/v1_1/${CLOUD}/image/upload`);
    expect(du.fileField).toBe('file');
    expect(du.fields).toMatchObject({
      public_id: `inbox/${key.slice(0, -4)}`,
      type: 'private',
      allowed_formats: 'png',
      upload_preset: 'moderated',
      tags: 'direct',
      api_key: API_KEY,
    });
    expect(du.fields.signature).toBe(apiSignature(du.fields, API_SECRET, 'sha1'));
    // Cloudinary honours a signature for an hour after its timestamp: the timestamp is set back so that it lapses
    // exactly when the requested lifetime ends.
    expect(Number(du.fields.timestamp) + 3600).toBe(du.expiresAt.getTime() / 1000);
    expect(du.expiresAt.getTime() / 1000 - before).toBeGreaterThanOrEqual(600);
    expect(du.expiresAt.getTime() / 1000 - before).toBeLessThanOrEqual(601);
    expect(du.providerMetadata).toEqual({
      public_id: `inbox/${key.slice(0, -4)}`,
      resource_type: 'image',
      type: 'private',
      format: 'png',
    });
  });

  test('a posted PNG is stored; the server confirms its size afterwards with stat, since Cloudinary cannot cap it', async () => {
    const p = cloud.make();
    const key = `d/${uniq()}/photo.png`;
    const du = await p.createDirectUpload({ key, mime: 'image/png', maxSize: PNG.length - 1 });
    const res = await post(du, PNG, 'image/png');
    expect(res.status).toBe(200);
    const ref = { key, providerMetadata: du.providerMetadata ?? null };
    const info = await p.stat(ref);
    // Over maxSize by one byte: what a confirm step sees, and removes.
    expect(info?.size).toBe(PNG.length);
    await p.delete(ref);
    expect(await p.stat(ref)).toBeNull();
  });

  test('changing a signed field is refused with 401, and nothing is stored', async () => {
    const p = cloud.make({ delivery: 'private' });
    const key = `d/${uniq()}/photo.png`;
    const du = await p.createDirectUpload({ key, mime: 'image/png', maxSize: 10_000 });
    const res = await post(du, PNG, 'image/png', { type: 'upload' });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/^Invalid Signature/);
    const unsigned = await post(du, PNG, 'image/png', { signature: '' });
    expect(unsigned.status).toBe(401);
    expect(await p.stat({ key })).toBeNull();
  });

  test('a GIF where PNG is pinned is refused by allowed_formats', async () => {
    const p = cloud.make();
    const key = `d/${uniq()}/photo.png`;
    const du = await p.createDirectUpload({ key, mime: 'image/png', maxSize: 10_000 });
    const res = await post(du, Buffer.from('GIF89a\u0001\u0000\u0001\u0000'), 'image/png');
    expect(res.status).toBe(400);
    expect(await p.stat({ key })).toBeNull();
  });

  test('lifetimes beyond the hour Cloudinary honours, and bad sizes or types, are refused', async () => {
    const p = cloud.make();
    for (const req of [
      { key: 'a.png', mime: 'image/png', maxSize: 10, expiresIn: 3601 },
      { key: 'a.png', mime: 'image/png', maxSize: 0 },
      { key: 'a.png', mime: 'image/png', maxSize: 10, minSize: 11 },
      { key: 'a.png', mime: 'png', maxSize: 10 },
    ]) {
      const e = await p.createDirectUpload(req).catch((err) => err);
      expect(isProviderError(e, 'INVALID_INPUT')).toBe(true);
    }
  });
});
