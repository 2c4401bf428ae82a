import { randomBytes } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { contentDisposition, isProviderError } from 'upload-provider';
import { hashStream, sha256 } from 'upload-provider-conformance';
import { type GcsProvider, type GcsProviderOptions, gcsProvider } from '../src/index.js';
import { type GcsEmulator, PROJECT_ID, startGcsEmulator } from './support/emulator.js';
import { makeServiceAccount, parseGoogDate, verifyV4SignedUrl } from './support/signing.mjs';

const BUCKET = 'signed';
const account = makeServiceAccount(PROJECT_ID);
const stranger = makeServiceAccount(PROJECT_ID);
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

const key = (name: string) => `signed-test/${randomBytes(6).toString('hex')}/${name}`;
const verify = (url: string, now?: Date) => verifyV4SignedUrl(url, account, now);

async function code(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return isProviderError(error) ? error.code : `not a ProviderError: ${String(error)}`;
  }
  return 'resolved';
}

function withParam(url: string, name: string, value: string): string {
  const u = new URL(url);
  u.searchParams.set(name, value);
  return u.toString();
}

// The emulator serves any URL under /<bucket>/<key> whatever its signature and expiry, so fetching a signed URL here
// proves only that it names the right object. Every signature below is also checked with our own V4 verifier
// (support/signing.mjs): canonical request, string to sign, RSA-SHA256 with the public half of a key pair made when
// this file loads, then X-Goog-Date + X-Goog-Expires.
describe('signUrl', () => {
  test('makes a V4 signed GET that verifies, serves the bytes, and expires at expiresAt', async () => {
    const p = make();
    const bytes = randomBytes(5000);
    const stored = await p.upload({ key: key('photo.jpg'), body: bytes, mime: 'image/jpeg', name: 'photo.jpg' });
    const before = Math.floor(Date.now() / 1000) * 1000;
    const signed = await p.signUrl(stored, { expiresIn: 120 });
    const q = new URL(signed.url).searchParams;
    expect(q.get('X-Goog-Algorithm')).toBe('GOOG4-RSA-SHA256');
    expect(q.get('X-Goog-Expires')).toBe('120');
    expect(q.get('X-Goog-SignedHeaders')).toBe('host');
    expect(q.get('X-Goog-Credential')).toMatch(
      new RegExp(`^${account.credentials.client_email}/\\d{8}/auto/storage/goog4_request$`),
    );
    const signedAt = parseGoogDate(q.get('X-Goog-Date')!).getTime();
    expect(signedAt).toBeGreaterThanOrEqual(before);
    expect(signed.expiresAt.getTime()).toBe(signedAt + 120_000);
    expect(verify(signed.url)).toBe(true);
    expect(verify(signed.url, new Date(signed.expiresAt.getTime() - 1))).toBe(true);
    expect(verify(signed.url, signed.expiresAt)).toBe(false);
    expect(verify(signed.url, new Date(signedAt - 1000))).toBe(false);
    const res = await fetch(signed.url);
    expect(res.status).toBe(200);
    expect((await hashStream(res.body as unknown as AsyncIterable<Uint8Array>)).hash).toBe(sha256(bytes));
  });

  test('the default lifetime is urlExpiresIn (900 s unless set)', async () => {
    const a = await make().signUrl({ key: 'x.bin' });
    expect(new URL(a.url).searchParams.get('X-Goog-Expires')).toBe('900');
    const b = await make({ urlExpiresIn: 60 }).signUrl({ key: 'x.bin' });
    expect(new URL(b.url).searchParams.get('X-Goog-Expires')).toBe('60');
  });

  test('a changed signature, object, disposition or lifetime, or another key pair, does not verify', async () => {
    const p = make();
    const signed = await p.signUrl({ key: 'a/report.pdf' }, { downloadName: 'report.pdf' });
    expect(verify(signed.url)).toBe(true);
    const sig = new URL(signed.url).searchParams.get('X-Goog-Signature')!;
    expect(verify(withParam(signed.url, 'X-Goog-Signature', (sig[0] === '0' ? '1' : '0') + sig.slice(1)))).toBe(false);
    const otherObject = new URL(signed.url);
    otherObject.pathname = otherObject.pathname.replace('report.pdf', 'salary.pdf');
    expect(verify(otherObject.toString())).toBe(false);
    expect(verify(withParam(signed.url, 'response-content-disposition', 'inline'))).toBe(false);
    expect(verify(withParam(signed.url, 'X-Goog-Expires', '604800'))).toBe(false);
    const foreign = await make({ credentials: stranger.credentials }).signUrl({ key: 'a/report.pdf' });
    expect(verify(foreign.url)).toBe(false);
    expect(verifyV4SignedUrl(foreign.url, stranger)).toBe(true);
  });

  test('downloadName is signed into response-content-disposition (attachment by default, or inline)', async () => {
    const p = make();
    const a = await p.signUrl({ key: 'r.txt' }, { downloadName: 'Rapport été 2026.txt' });
    expect(new URL(a.url).searchParams.get('response-content-disposition')).toBe(
      contentDisposition('attachment', 'Rapport été 2026.txt'),
    );
    expect(verify(a.url)).toBe(true);
    const b = await p.signUrl({ key: 'r.txt' }, { downloadName: 'view.txt', disposition: 'inline' });
    expect(new URL(b.url).searchParams.get('response-content-disposition')).toBe(
      contentDisposition('inline', 'view.txt'),
    );
    expect(verify(b.url)).toBe(true);
    const c = await p.signUrl({ key: 'r.txt' });
    expect(new URL(c.url).searchParams.has('response-content-disposition')).toBe(false);
  });

  test('signed URLs go to the storage even with a CDN baseUrl, and name unicode keys exactly', async () => {
    const p = make({ baseUrl: 'https://cdn.example.com/files/' });
    const k = key('ünï cødé #1?.txt');
    const stored = await p.upload({ key: k, body: Buffer.from('unicode'), mime: 'text/plain', name: 'u.txt' });
    expect(stored.url).toBe(
      `https://cdn.example.com/files/${k.replace(/[^/]+$/, '')}%C3%BCn%C3%AF%20c%C3%B8d%C3%A9%20%231%3F.txt`,
    );
    const signed = await p.signUrl(stored);
    expect(signed.url.startsWith(`${gcs.host}/${BUCKET}/`)).toBe(true);
    expect(verify(signed.url)).toBe(true);
    expect(await (await fetch(signed.url)).text()).toBe('unicode');
  });

  test('lifetimes that are not a whole number of seconds from 1 to 7 days are INVALID_INPUT', async () => {
    const p = make();
    for (const expiresIn of [0, -1, 1.5, 604_801, Number.NaN]) {
      expect([expiresIn, await code(p.signUrl({ key: 'x.bin' }, { expiresIn }))]).toEqual([expiresIn, 'INVALID_INPUT']);
    }
    const longest = await p.signUrl({ key: 'x.bin' }, { expiresIn: 604_800 });
    expect(new URL(longest.url).searchParams.get('X-Goog-Expires')).toBe('604800');
    expect(verify(longest.url)).toBe(true);
  });

  test('hostile keys are refused before signing', async () => {
    expect(await code(make().signUrl({ key: '../../etc/passwd' }))).toBe('INVALID_INPUT');
  });

  test('credentials that cannot sign (a user login, no private key) are ACCESS_DENIED with advice', async () => {
    // An "authorized_user" key file, as `gcloud auth application-default login` writes: it has no private key, and
    // the emulator set-up means no token is fetched, so signing fails locally before any network call.
    const file = join(tmpdir(), `gcs-user-${randomBytes(4).toString('hex')}.json`);
    await writeFile(
      file,
      JSON.stringify({ type: 'authorized_user', client_id: 'id', client_secret: 'secret', refresh_token: 'token' }),
    );
    const p = make({ credentials: undefined, keyFilename: file, projectId: PROJECT_ID });
    const error = await p
      .signUrl({ key: 'x.bin' })
      .catch((e: unknown) => e)
      .finally(() => rm(file, { force: true }));
    expect(isProviderError(error, 'ACCESS_DENIED')).toBe(true);
    expect((error as Error).message).toMatch(/cannot sign/);
    expect((error as Error).cause).toBeDefined();
  });
});
