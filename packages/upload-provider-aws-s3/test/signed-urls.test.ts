import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, test } from '@jest/globals';
import { contentDisposition, isProviderError } from 'upload-provider';
import { hashStream, sha256 } from 'upload-provider-conformance';
import { CREDENTIALS } from './support/emulator.js';
import { useS3rver } from './support/fixture.js';
import { verifyPresignedUrl } from './support/sigv4.mjs';

const BUCKET = 'signed';
const s3 = useS3rver(BUCKET);
const make = s3.make;

/** The URL with one character of its signature changed. */
function tamperSignature(url: string): string {
  const u = new URL(url);
  const sig = u.searchParams.get('X-Amz-Signature')!;
  u.searchParams.set('X-Amz-Signature', (sig[0] === '0' ? '1' : '0') + sig.slice(1));
  return u.toString();
}

const key = (name: string) => `signed-test/${randomBytes(6).toString('hex')}/${name}`;

async function code(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return isProviderError(error) ? error.code : `not a ProviderError: ${String(error)}`;
  }
  return 'resolved';
}

// s3rver accepts a presigned URL whatever its signature (it only checks the access key and the expiry), so every
// signature below is also recomputed from the test credentials with @smithy/signature-v4 (support/sigv4.mjs).
describe('signUrl', () => {
  test('a presigned GET serves the bytes, verifies under SigV4 and reports when it expires', async () => {
    const p = make();
    const bytes = randomBytes(5000);
    const stored = await p.upload({ key: key('photo.jpg'), body: bytes, mime: 'image/jpeg', name: 'photo.jpg' });
    const before = Math.floor(Date.now() / 1000) * 1000;
    const signed = await p.signUrl(stored, { expiresIn: 120 });
    expect(signed.expiresAt.getTime() - before).toBeGreaterThanOrEqual(120_000);
    expect(signed.expiresAt.getTime() - Date.now()).toBeLessThanOrEqual(120_000);
    const u = new URL(signed.url);
    expect(u.searchParams.get('X-Amz-Expires')).toBe('120');
    // Only the host is signed: a browser can fetch it as it is, with no extra headers (no checksum mode).
    expect(u.searchParams.get('X-Amz-SignedHeaders')).toBe('host');
    expect(u.searchParams.has('x-amz-checksum-mode')).toBe(false);
    expect(await verifyPresignedUrl(signed.url)).toBe(true);
    const res = await fetch(signed.url);
    expect(res.status).toBe(200);
    expect((await hashStream(res.body as unknown as AsyncIterable<Uint8Array>)).hash).toBe(sha256(bytes));
  });

  test('the default lifetime is urlExpiresIn (900 s unless set)', async () => {
    const a = await make().signUrl({ key: 'x.bin' });
    expect(new URL(a.url).searchParams.get('X-Amz-Expires')).toBe('900');
    const b = await make({ urlExpiresIn: 60 }).signUrl({ key: 'x.bin' });
    expect(new URL(b.url).searchParams.get('X-Amz-Expires')).toBe('60');
  });

  test('a changed signature, key, or disposition does not verify', async () => {
    const p = make();
    const signed = await p.signUrl({ key: 'a/report.pdf' }, { downloadName: 'report.pdf' });
    expect(await verifyPresignedUrl(signed.url)).toBe(true);
    expect(await verifyPresignedUrl(tamperSignature(signed.url))).toBe(false);
    const otherKey = new URL(signed.url);
    otherKey.pathname = otherKey.pathname.replace('report.pdf', 'salary.pdf');
    expect(await verifyPresignedUrl(otherKey.toString())).toBe(false);
    const otherName = new URL(signed.url);
    otherName.searchParams.set('response-content-disposition', 'inline');
    expect(await verifyPresignedUrl(otherName.toString())).toBe(false);
    const longer = new URL(signed.url);
    longer.searchParams.set('X-Amz-Expires', '604800');
    expect(await verifyPresignedUrl(longer.toString())).toBe(false);
  });

  test('a URL signed with the wrong secret does not verify, though s3rver serves it: why the tests verify', async () => {
    const p = make();
    const stored = await p.upload({
      key: key('w.txt'),
      body: Buffer.from('served anyway'),
      mime: 'text/plain',
      name: 'w.txt',
    });
    const forged = await make({
      credentials: { accessKeyId: CREDENTIALS.accessKeyId, secretAccessKey: 'not-the-secret' },
    }).signUrl(stored);
    expect(await verifyPresignedUrl(forged.url)).toBe(false);
    const res = await fetch(forged.url);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('served anyway');
  });

  test('a signed URL stops verifying after expiresAt, and s3rver itself refuses it then', async () => {
    const p = make();
    const stored = await p.upload({
      key: key('brief.txt'),
      body: Buffer.from('brief'),
      mime: 'text/plain',
      name: 'brief.txt',
    });
    const signed = await p.signUrl(stored, { expiresIn: 1 });
    expect(await verifyPresignedUrl(signed.url, new Date(signed.expiresAt.getTime() - 500))).toBe(true);
    expect(await verifyPresignedUrl(signed.url, new Date(signed.expiresAt.getTime() + 1000))).toBe(false);
    // s3rver does check X-Amz-Date + X-Amz-Expires, so waiting past the expiry shows the refusal for real.
    await sleep(Math.max(0, signed.expiresAt.getTime() - Date.now()) + 1100);
    const res = await fetch(signed.url);
    expect(res.status).toBe(403);
    expect(await res.text()).toMatch(/expired/i);
  });

  test('downloadName asks S3 to serve the file as an attachment under that name', async () => {
    const p = make();
    const stored = await p.upload({
      key: key('r.txt'),
      body: Buffer.from('numbers'),
      mime: 'text/plain',
      name: 'r.txt',
    });
    const signed = await p.signUrl(stored, { downloadName: 'Rapport été 2026.txt' });
    const res = await fetch(signed.url);
    await res.arrayBuffer();
    expect(res.headers.get('content-disposition')).toBe(contentDisposition('attachment', 'Rapport été 2026.txt'));
    const inline = await p.signUrl(stored, { downloadName: 'view.txt', disposition: 'inline' });
    expect(new URL(inline.url).searchParams.get('response-content-disposition')).toBe(
      contentDisposition('inline', 'view.txt'),
    );
    expect(await verifyPresignedUrl(inline.url)).toBe(true);
  });

  test('signed URLs use the S3 endpoint even with a baseUrl, and name keys with spaces and unicode exactly', async () => {
    const p = make({ baseUrl: 'https://cdn.example.com/files' });
    const k = key('ünï cødé #1?.txt');
    const stored = await p.upload({ key: k, body: Buffer.from('unicode'), mime: 'text/plain', name: 'u.txt' });
    expect(stored.url).toBe(
      `https://cdn.example.com/files/${k.replace(/[^/]+$/, '')}%C3%BCn%C3%AF%20c%C3%B8d%C3%A9%20%231%3F.txt`,
    );
    const signed = await p.signUrl(stored);
    expect(signed.url.startsWith(`${s3.endpoint}/${BUCKET}/`)).toBe(true);
    expect(await verifyPresignedUrl(signed.url)).toBe(true);
    const res = await fetch(signed.url);
    expect(await res.text()).toBe('unicode');
  });

  test('lifetimes that are not a whole number of seconds from 1 to 7 days are refused with INVALID_INPUT', async () => {
    const p = make();
    for (const expiresIn of [0, -1, 1.5, 604_801, Number.NaN])
      expect(await code(p.signUrl({ key: 'x.bin' }, { expiresIn }))).toBe('INVALID_INPUT');
    expect(await code(p.signUrl({ key: 'x.bin' }, { expiresIn: 604_800 }))).toBe('resolved');
  });
});
