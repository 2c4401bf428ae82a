import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { filesUnder, type Harness, startHarness } from './helpers.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * The last character of a 43-character base64url string carries 4 bits of data and 2 spare bits: another character
 * with the same data bits decodes to the same 32 bytes. Returns such a twin.
 */
function sameBytesTwin(signature: string): string {
  const last = ALPHABET.indexOf(signature.at(-1)!);
  const twin = ALPHABET[last ^ 0b01]!;
  const result = signature.slice(0, -1) + twin;
  expect(Buffer.from(result, 'base64url').equals(Buffer.from(signature, 'base64url'))).toBe(true);
  expect(result).not.toBe(signature);
  return result;
}

/** Characters a lenient base64 decoder skips or tolerates, inserted so the decoded bytes stay the same. */
function withSkippedCharacters(encoded: string): string[] {
  const variants = [
    `${encoded}=`,
    `${encoded.slice(0, 10)} ${encoded.slice(10)}`,
    `${encoded.slice(0, 10)}.${encoded.slice(10)}`,
    `${encoded}\n`,
  ];
  for (const variant of variants) {
    expect(Buffer.from(variant, 'base64url').equals(Buffer.from(encoded, 'base64url'))).toBe(true);
  }
  return variants;
}

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ private: true });
  await h.provider.upload({ key: 'a.txt', body: Buffer.from('a'), mime: 'text/plain', name: 'a.txt' });
});
afterAll(() => h.close());

async function status(url: string | URL, init?: RequestInit): Promise<number> {
  const res = await fetch(url, init);
  await res.arrayBuffer();
  return res.status;
}

describe('signed URLs are compared as the strings they were issued as', () => {
  it('the issued URL works', async () => {
    const { url } = await h.provider.signUrl({ key: 'a.txt' });
    expect(await status(url)).toBe(200);
  });

  it('refuses a signature whose last character differs but decodes to the same bytes', async () => {
    const { url } = await h.provider.signUrl({ key: 'a.txt' });
    const u = new URL(url);
    u.searchParams.set('signature', sameBytesTwin(u.searchParams.get('signature')!));
    expect(await status(u)).toBe(403);
  });

  it('refuses a signature with characters a lenient decoder skips', async () => {
    const { url } = await h.provider.signUrl({ key: 'a.txt' });
    for (const variant of withSkippedCharacters(new URL(url).searchParams.get('signature')!)) {
      const u = new URL(url);
      u.searchParams.set('signature', variant);
      expect([variant, await status(u)]).toEqual([variant, 403]);
    }
  });
});

describe('direct-upload policies and their signatures are compared as issued', () => {
  const post = (fields: Record<string, string>) => {
    const form = new FormData();
    for (const [k, v] of Object.entries(fields)) form.append(k, v);
    form.append('file', new Blob(['hello'], { type: 'text/plain' }), 'p.txt');
    return status(`${h.origin}/uploads`, { method: 'POST', body: form });
  };

  it('refuses a policy signature whose last character decodes to the same bytes', async () => {
    const du = await h.provider.createDirectUpload({ key: 'twin.txt', mime: 'text/plain', maxSize: 100 });
    expect(await post({ ...du.fields, signature: sameBytesTwin(du.fields.signature!) })).toBe(403);
    expect(filesUnder(h.root).filter((f) => f.startsWith('twin.txt'))).toEqual([]);
  });

  it('refuses a policy signature or a policy with characters a lenient decoder skips', async () => {
    const du = await h.provider.createDirectUpload({ key: 'skipped.txt', mime: 'text/plain', maxSize: 100 });
    for (const signature of withSkippedCharacters(du.fields.signature!)) {
      expect(['signature', signature, await post({ ...du.fields, signature })]).toEqual(['signature', signature, 403]);
    }
    for (const policy of withSkippedCharacters(du.fields.policy!)) {
      expect(['policy', policy, await post({ ...du.fields, policy })]).toEqual(['policy', policy, 403]);
    }
    expect(filesUnder(h.root).filter((f) => f.startsWith('skipped.txt'))).toEqual([]);
  });

  it('accepts the policy exactly as issued', async () => {
    const du = await h.provider.createDirectUpload({ key: 'p.txt', mime: 'text/plain', maxSize: 100 });
    expect(await post(du.fields)).toBe(201);
  });
});
