import { randomBytes } from 'node:crypto';
import { describe, expect, test } from '@jest/globals';
import { isProviderError } from 'upload-provider';
import { hashStream, sha256 } from 'upload-provider-conformance';
import { CREDENTIALS } from './support/emulator.js';
import { useS3rver } from './support/fixture.js';
import { verifyPostPolicy } from './support/sigv4.mjs';

const BUCKET = 'direct';
const s3 = useS3rver(BUCKET);
const make = s3.make;

const key = (name: string) => `direct-test/${randomBytes(6).toString('hex')}/${name}`;

interface Policy {
  expiration: string;
  conditions: Array<Record<string, string> | [string, string | number, string | number]>;
}

function policyOf(fields: Record<string, string>): Policy {
  return JSON.parse(Buffer.from(fields.Policy!, 'base64').toString('utf8')) as Policy;
}

/** The form a browser sends: every field in order, then the file last. */
function form(fields: Record<string, string>, file: Uint8Array, type: string, name = 'upload.bin'): FormData {
  const f = new FormData();
  for (const [k, v] of Object.entries(fields)) f.append(k, v);
  f.append('file', new Blob([file], { type }), name);
  return f;
}

async function code(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return isProviderError(error) ? error.code : `not a ProviderError: ${String(error)}`;
  }
  return 'resolved';
}

// s3rver stores whatever a POST carries without reading the policy, so these tests decode the policy and check that
// each condition S3 would enforce is there and says what it should, and recompute the policy's signature from the
// test credentials (support/sigv4.mjs). The POST to s3rver proves the happy path: the fields as returned, sent as a
// browser form, store the object.
describe('createDirectUpload', () => {
  test('a browser-style form POST of the returned fields stores the object under the pinned key', async () => {
    const p = make({ prefix: 'tenant-1' });
    const k = key('avatar.png');
    const bytes = randomBytes(40_000);
    const du = await p.createDirectUpload({ key: k, mime: 'image/png', maxSize: 100_000, name: 'avatar.png' });
    expect(du).toMatchObject({ method: 'POST', fileField: 'file', key: k, url: `${s3.endpoint}/${BUCKET}` });
    expect(du.fields.key).toBe(`tenant-1/${k}`);
    const res = await fetch(du.url, { method: 'POST', body: form(du.fields, bytes, 'image/png', 'avatar.png') });
    const xml = await res.text();
    expect(res.status).toBe(201);
    expect(xml).toContain(`<Key>tenant-1/${k}</Key>`);
    expect(await p.stat({ key: k })).toMatchObject({ size: 40_000, mime: 'image/png' });
    expect((await hashStream(await p.read({ key: k }))).hash).toBe(sha256(bytes));
  });

  test('the policy pins the key, size range, content type, status and expiry, and its signature verifies', async () => {
    const p = make();
    const k = key('doc.pdf');
    const before = Date.now();
    const du = await p.createDirectUpload({
      key: k,
      mime: 'application/pdf',
      maxSize: 5_000_000,
      minSize: 10,
      expiresIn: 300,
    });
    const policy = policyOf(du.fields);
    const conditions = policy.conditions.map((c) => JSON.stringify(c));
    expect(conditions).toContain(JSON.stringify({ key: k }));
    expect(conditions).toContain(JSON.stringify(['content-length-range', 10, 5_000_000]));
    expect(conditions).toContain(JSON.stringify({ 'Content-Type': 'application/pdf' }));
    expect(conditions).toContain(JSON.stringify({ success_action_status: '201' }));
    expect(conditions).toContain(JSON.stringify({ bucket: BUCKET }));
    expect(du.fields['Content-Type']).toBe('application/pdf');
    expect(du.fields.success_action_status).toBe('201');
    // Every field the client must send is covered by an exact condition, as S3 requires.
    for (const [name, value] of Object.entries(du.fields)) {
      if (name === 'Policy' || name === 'X-Amz-Signature') continue;
      expect(conditions).toContain(JSON.stringify({ [name]: value }));
    }
    // No condition lets the key float (no starts-with on $key).
    expect(policy.conditions.some((c) => Array.isArray(c) && String(c[1]).toLowerCase() === '$key')).toBe(false);
    expect(du.expiresAt.toISOString().replace('.000', '')).toBe(policy.expiration);
    expect(du.expiresAt.getTime()).toBeGreaterThan(before + 298_000);
    expect(du.expiresAt.getTime()).toBeLessThanOrEqual(Date.now() + 300_000);
    expect(await verifyPostPolicy(du.fields)).toBe(true);
    // The signature covers the policy: a policy widened by the client no longer verifies.
    const widened = {
      ...policy,
      conditions: policy.conditions.map((c) =>
        Array.isArray(c) && c[0] === 'content-length-range' ? ['content-length-range', 0, 5e9] : c,
      ),
    };
    expect(
      await verifyPostPolicy({ ...du.fields, Policy: Buffer.from(JSON.stringify(widened)).toString('base64') }),
    ).toBe(false);
  });

  test('a policy signed with the wrong secret does not verify', async () => {
    const forged = make({ credentials: { accessKeyId: CREDENTIALS.accessKeyId, secretAccessKey: 'not-the-secret' } });
    const du = await forged.createDirectUpload({ key: key('f.txt'), mime: 'text/plain', maxSize: 10 });
    expect(await verifyPostPolicy(du.fields)).toBe(false);
  });

  test('a type family becomes a starts-with condition and the browser sends the file’s own type', async () => {
    const p = make();
    const k = key('photo');
    const du = await p.createDirectUpload({ key: k, mime: 'image/*', maxSize: 10_000 });
    expect(du.fields['Content-Type']).toBeUndefined();
    expect(policyOf(du.fields).conditions).toContainEqual(['starts-with', '$Content-Type', 'image/']);
    const res = await fetch(du.url, {
      method: 'POST',
      body: form({ ...du.fields, 'Content-Type': 'image/webp' }, randomBytes(100), 'image/webp'),
    });
    await res.arrayBuffer();
    expect(res.status).toBe(201);
    expect((await p.stat({ key: k }))?.mime).toBe('image/webp');
  });

  test('ACL, encryption, storage class and cache control are fields the policy pins; private sends no ACL', async () => {
    const pub = make({
      visibility: 'public',
      storageClass: 'STANDARD_IA',
      serverSideEncryption: 'AES256',
      cacheControl: 'max-age=60',
    });
    const du = await pub.createDirectUpload({ key: key('p.txt'), mime: 'text/plain', maxSize: 10 });
    const conditions = policyOf(du.fields).conditions.map((c) => JSON.stringify(c));
    for (const [name, value] of [
      ['acl', 'public-read'],
      ['x-amz-storage-class', 'STANDARD_IA'],
      ['x-amz-server-side-encryption', 'AES256'],
      ['Cache-Control', 'max-age=60'],
    ] as const) {
      expect(du.fields[name]).toBe(value);
      expect(conditions).toContain(JSON.stringify({ [name]: value }));
    }
    const priv = await make().createDirectUpload({ key: key('q.txt'), mime: 'text/plain', maxSize: 10 });
    expect(priv.fields.acl).toBeUndefined();
    const ownerEnforced = await make({ visibility: 'public', sendAcl: false }).createDirectUpload({
      key: key('r.txt'),
      mime: 'text/plain',
      maxSize: 10,
    });
    expect(ownerEnforced.fields.acl).toBeUndefined();
  });

  test('with directUpload: false (R2, B2) the capability is off and the method says UNSUPPORTED', async () => {
    const p = make({ directUpload: false });
    expect(p.capabilities.directUpload).toBe(false);
    expect(await code(p.createDirectUpload({ key: key('x.txt'), mime: 'text/plain', maxSize: 10 }))).toBe(
      'UNSUPPORTED',
    );
  });

  test('bad requests are refused with INVALID_INPUT before anything is signed', async () => {
    const p = make();
    const base = { key: key('x.bin'), mime: 'text/plain', maxSize: 100 };
    expect(await code(p.createDirectUpload({ ...base, maxSize: -1 }))).toBe('INVALID_INPUT');
    expect(await code(p.createDirectUpload({ ...base, maxSize: 6 * 1024 ** 3 }))).toBe('INVALID_INPUT');
    expect(await code(p.createDirectUpload({ ...base, minSize: 101 }))).toBe('INVALID_INPUT');
    expect(await code(p.createDirectUpload({ ...base, mime: 'text' }))).toBe('INVALID_INPUT');
    expect(await code(p.createDirectUpload({ ...base, mime: 'image/png"]' }))).toBe('INVALID_INPUT');
    expect(await code(p.createDirectUpload({ ...base, expiresIn: 0 }))).toBe('INVALID_INPUT');
    expect(await code(p.createDirectUpload({ ...base, key: '../escape' }))).toBe('INVALID_INPUT');
  });
});
