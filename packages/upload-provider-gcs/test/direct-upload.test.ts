import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { contentDisposition, type DirectUpload, isProviderError } from 'upload-provider';
import { type GcsProvider, type GcsProviderOptions, gcsProvider } from '../src/index.js';
import { type GcsEmulator, PROJECT_ID, startGcsEmulator } from './support/emulator.js';
import { makeServiceAccount, parseGoogDate, verifyPostPolicy } from './support/signing.mjs';

const BUCKET = 'direct';
const account = makeServiceAccount(PROJECT_ID);
let gcs: GcsEmulator;
const open: GcsProvider[] = [];

beforeAll(async () => {
  gcs = await startGcsEmulator();
});
afterAll(() => gcs.stop());
afterEach(async () => {
  await Promise.all(open.splice(0).map((p) => p.close()));
});

function make(extra: Partial<GcsProviderOptions> = {}): GcsProvider {
  const p = gcsProvider({ bucket: BUCKET, credentials: account.credentials, ...extra });
  open.push(p);
  return p;
}

const key = (name: string) => `direct-test/${randomBytes(6).toString('hex')}/${name}`;

async function code(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return isProviderError(error) ? error.code : `not a ProviderError: ${String(error)}`;
  }
  return 'resolved';
}

function post(du: DirectUpload, bytes: Uint8Array, type: string, fileName = 'upload.bin') {
  const form = new FormData();
  for (const [k, v] of Object.entries(du.fields)) form.append(k, v);
  form.append(du.fileField, new Blob([bytes], { type }), fileName);
  return fetch(du.url, { method: 'POST', body: form });
}

// The emulator stores any form POST without reading its policy or signature. So every policy here is checked with
// our own code: its x-goog-signature is verified (RSA-SHA256 over the base64 policy) with the public half of a key
// pair made when this file loads, and each condition is decoded and compared with what was asked for.
describe('createDirectUpload', () => {
  test('signs a policy pinning bucket, key, size range, exact type and expiry; the POST is stored', async () => {
    const p = make();
    const k = key('notes.txt');
    const before = Math.floor(Date.now() / 1000) * 1000;
    const du = await p.createDirectUpload({
      key: k,
      mime: 'text/plain',
      maxSize: 1024,
      minSize: 1,
      expiresIn: 300,
      name: 'notes.txt',
    });
    expect(du).toMatchObject({ method: 'POST', fileField: 'file', key: k, url: `${gcs.host}/${BUCKET}` });
    const policy = verifyPostPolicy(du.fields, account);
    expect(policy).not.toBeNull();
    expect(policy!.expiration.getTime()).toBe(du.expiresAt.getTime());
    expect(du.expiresAt.getTime() - before).toBeGreaterThanOrEqual(300_000);
    expect(du.expiresAt.getTime() - Date.now()).toBeLessThanOrEqual(300_000);
    expect(parseGoogDate(du.fields['x-goog-date']!).getTime()).toBeGreaterThanOrEqual(before);
    const conditions = policy!.conditions;
    expect(conditions).toContainEqual(['content-length-range', 1, 1024]);
    expect(conditions).toContainEqual({ key: k });
    expect(conditions).toContainEqual({ bucket: BUCKET });
    expect(conditions).toContainEqual({ 'Content-Type': 'text/plain' });
    expect(conditions).toContainEqual({ 'Content-Disposition': contentDisposition('inline', 'notes.txt') });
    // Each field the client sends is pinned by a condition (the signature fields are what sign them).
    for (const [name, value] of Object.entries(du.fields)) {
      if (name === 'policy' || name === 'x-goog-signature') continue;
      expect([name, conditions]).toEqual([name, expect.arrayContaining([{ [name]: value }])]);
    }

    const res = await post(du, Buffer.from('straight to the bucket'), 'text/plain', 'notes.txt');
    expect(res.status).toBeGreaterThanOrEqual(200);
    expect(res.status).toBeLessThan(300);
    expect(await p.stat({ key: k })).toMatchObject({ size: 22, mime: 'text/plain' });
    const [md] = await p.bucket.file(k).getMetadata();
    expect(md.contentDisposition).toBe(contentDisposition('inline', 'notes.txt'));
  });

  test('a type family becomes a starts-with condition, and */* admits any type', async () => {
    const p = make();
    const family = await p.createDirectUpload({ key: key('a.img'), mime: 'image/*', maxSize: 10 });
    expect(family.fields['Content-Type']).toBeUndefined();
    expect(verifyPostPolicy(family.fields, account)!.conditions).toContainEqual([
      'starts-with',
      '$Content-Type',
      'image/',
    ]);
    const any = await p.createDirectUpload({ key: key('a.bin'), mime: '*/*', maxSize: 10 });
    expect(verifyPostPolicy(any.fields, account)!.conditions).toContainEqual(['starts-with', '$Content-Type', '']);
  });

  test('the prefix, cache control and a public-acl ACL are pinned too', async () => {
    const p = make({ prefix: 'inbox', cacheControl: 'private, max-age=0', visibility: 'public-acl' });
    const k = key('p.txt');
    const du = await p.createDirectUpload({ key: k, mime: 'text/plain', maxSize: 10 });
    expect(du.key).toBe(k);
    expect(du.fields.key).toBe(`inbox/${k}`);
    const conditions = verifyPostPolicy(du.fields, account)!.conditions;
    expect(conditions).toContainEqual({ key: `inbox/${k}` });
    expect(conditions).toContainEqual({ 'Cache-Control': 'private, max-age=0' });
    expect(conditions).toContainEqual({ acl: 'public-read' });
    const privateOne = await make().createDirectUpload({ key: k, mime: 'text/plain', maxSize: 10 });
    expect(privateOne.fields.acl).toBeUndefined();
  });

  test('a changed policy or signature does not verify', async () => {
    const du = await make().createDirectUpload({ key: key('t.txt'), mime: 'text/plain', maxSize: 10 });
    const decoded = JSON.parse(Buffer.from(du.fields.policy!, 'base64').toString()) as { conditions: unknown[] };
    decoded.conditions = decoded.conditions.map((c) =>
      Array.isArray(c) && c[0] === 'content-length-range' ? ['content-length-range', 0, 10 ** 9] : c,
    );
    const widened = { ...du.fields, policy: Buffer.from(JSON.stringify(decoded)).toString('base64') };
    expect(verifyPostPolicy(widened, account)).toBeNull();
    const sig = du.fields['x-goog-signature']!;
    const flipped = { ...du.fields, 'x-goog-signature': (sig[0] === '0' ? '1' : '0') + sig.slice(1) };
    expect(verifyPostPolicy(flipped, account)).toBeNull();
    expect(verifyPostPolicy(du.fields, makeServiceAccount(PROJECT_ID))).toBeNull();
  });

  test('bad requests are INVALID_INPUT, naming what to change', async () => {
    const p = make();
    const ok = { key: key('x.txt'), mime: 'text/plain', maxSize: 10 };
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ maxSize: -1 }, /maxSize/],
      [{ maxSize: 1.5 }, /maxSize/],
      [{ maxSize: 6 * 1024 ** 4 }, /maxSize/],
      [{ minSize: 11 }, /minSize/],
      [{ mime: 'text' }, /mime/],
      [{ mime: '*/plain' }, /mime/],
      [{ expiresIn: 604_801 }, /expiresIn/],
      [{ expiresIn: 0 }, /expiresIn/],
      [{ key: 'a/../../b' }, /key/],
    ];
    for (const [change, mention] of cases) {
      const error = await p.createDirectUpload({ ...ok, ...change } as never).catch((e: unknown) => e);
      expect([change, isProviderError(error, 'INVALID_INPUT')]).toEqual([change, true]);
      expect((error as Error).message).toMatch(mention);
    }
    expect(await code(p.createDirectUpload({ ...ok, expiresIn: 604_800 }))).toBe('resolved');
  });
});
