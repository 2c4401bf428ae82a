import assert from 'node:assert/strict';
import type { StoredFile, StoredRef } from 'upload-provider';
import type { Ctx } from './plan.js';

/** A URL that should serve the object now: the plain one for public providers, a fresh signed one for private. */
export async function servingUrl(ctx: Ctx, ref: StoredFile | StoredRef): Promise<string> {
  if (ctx.provider.isPrivate()) return (await ctx.provider.signUrl(ref, { expiresIn: 300 })).url;
  return 'url' in ref ? ref.url : ctx.provider.url(ref);
}

/** The URL with its signature-like parameters elided, for assertion messages. */
export function redactUrl(url: string): string {
  return url.replace(/([?&][^=]*(sig|signature|token|policy)[^=]*=)[^&]+/gi, '$1…');
}

/** Changes one character of the URL's signature (the query parameter named like one), keeping its alphabet. */
export function tamperSignature(url: string): string {
  const u = new URL(url);
  const keys = [...u.searchParams.keys()];
  const name = keys.find((k) => SIGNATURE_PARAM.test(k)) ?? keys.find((k) => /sig|token|hmac/i.test(k));
  if (name) {
    u.searchParams.set(name, flip(u.searchParams.get(name)!));
    return u.toString();
  }
  // Signatures carried in the path (e.g. `/s--abc--/`): flip a character of the longest path segment.
  const segments = u.pathname.split('/');
  let longest = 0;
  segments.forEach((s, i) => {
    if (s.length > segments[longest]!.length) longest = i;
  });
  segments[longest] = flip(segments[longest]!);
  u.pathname = segments.join('/');
  return u.toString();
}

const SIGNATURE_PARAM = /^(x-amz-signature|x-goog-signature|signature|sig|s|token|hmac)$/i;
const VOLATILE_PARAM = /sig|token|hmac|expire|date|timestamp/i;

/** A's URL pointing at B's object: B's path, or (when objects are named in the query) B's naming parameters. */
export function swapObject(urlA: string, urlB: string): string {
  const a = new URL(urlA);
  const b = new URL(urlB);
  if (a.pathname !== b.pathname) {
    a.pathname = b.pathname;
    return a.toString();
  }
  const differing = [...b.searchParams.keys()].filter(
    (k) => !VOLATILE_PARAM.test(k) && a.searchParams.get(k) !== b.searchParams.get(k),
  );
  assert.ok(differing.length > 0, 'signed URLs of two objects must differ in more than their signature and expiry');
  for (const k of differing) a.searchParams.set(k, b.searchParams.get(k)!);
  return a.toString();
}

function flip(value: string): string {
  const i = Math.floor(value.length / 2);
  const c = value[i]!;
  const replacement = c === 'a' ? 'b' : c === 'A' ? 'B' : c === '0' ? '1' : /[0-9]/.test(c) ? '0' : 'a';
  return value.slice(0, i) + replacement + value.slice(i + 1);
}
