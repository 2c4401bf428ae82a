import { randomBytes } from 'node:crypto';
import { ProviderError } from './errors.js';

/** S3's limit on a key, in UTF-8 bytes; the strictest of the backends we support. */
export const MAX_KEY_BYTES = 1024;
const MAX_SLUG_CHARS = 80;
const MAX_EXT_CHARS = 12;

// C0 and C1 control characters, DEL, and characters that render invisibly or reorder text (bidi overrides).
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const FORBIDDEN = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/;
const FORBIDDEN_ALL = new RegExp(FORBIDDEN.source, 'g');

function invalid(message: string, key: string): ProviderError {
  return new ProviderError('INVALID_INPUT', `${message}: ${JSON.stringify(key.slice(0, 200))}`, {
    details: { key: key.slice(0, 200) },
  });
}

/**
 * Checks a key and returns its canonical form (NFC, no leading `/`). Throws `ProviderError('INVALID_INPUT')` for a
 * key that is empty, too long, has control characters or a backslash, or has a `.`/`..`/empty segment, also after
 * Unicode compatibility normalisation (so `．．` or `‥` cannot stand in for `..`). A key that passes can never point
 * outside the place it is joined to.
 */
export function normaliseKey(key: string): string {
  if (typeof key !== 'string') throw invalid('a key must be a string', String(key));
  const nfc = key.normalize('NFC').replace(/^\/+/, '');
  if (nfc.length === 0) throw invalid('a key must not be empty', key);
  if (FORBIDDEN.test(nfc)) throw invalid('a key must not contain control or invisible characters', key);
  if (nfc.includes('\\')) throw invalid('a key must not contain a backslash', key);
  if (Buffer.byteLength(nfc, 'utf8') > MAX_KEY_BYTES)
    throw invalid(`a key must be at most ${MAX_KEY_BYTES} bytes`, key);
  for (const segment of nfc.split('/')) {
    const compat = segment.normalize('NFKC');
    if (segment === '') throw invalid('a key must not have empty segments or end with "/"', key);
    if (compat === '.' || compat === '..' || /^\.+$/.test(compat))
      throw invalid('a key must not have "." or ".." segments', key);
    if (compat.includes('/') || compat.includes('\\'))
      throw invalid('a key must not contain characters that normalise to a slash', key);
  }
  return nfc;
}

/** Normalises a folder-like prefix: `''` stays empty; otherwise like {@link normaliseKey}, without trailing `/`. */
export function normalisePrefix(prefix: string | undefined | null): string {
  if (prefix === undefined || prefix === null) return '';
  const trimmed = prefix.replace(/^\/+|\/+$/g, '');
  return trimmed === '' ? '' : normaliseKey(trimmed);
}

/** Joins a normalised prefix and a key: `joinKey('uploads', 'a.png')` is `uploads/a.png`. Both are checked. */
export function joinKey(prefix: string | undefined | null, key: string): string {
  const p = normalisePrefix(prefix);
  const k = normaliseKey(key);
  return p === '' ? k : `${p}/${k}`;
}

/** Splits a user's file name into a safe lowercase ASCII slug and extension (with its dot, or `''`). */
export function slugifyName(name: string): { slug: string; ext: string } {
  // Only the last path segment of a name counts: `../../etc/passwd` is `passwd`.
  const base = String(name ?? '')
    .normalize('NFKC')
    .split(/[/\\]/)
    .pop()!
    .replace(FORBIDDEN_ALL, '');
  const dot = base.lastIndexOf('.');
  const stem = dot > 0 ? base.slice(0, dot) : base;
  const rawExt = dot > 0 ? base.slice(dot + 1) : '';
  const ext = rawExt
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '')
    .slice(0, MAX_EXT_CHARS);
  const slug =
    stem
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, MAX_SLUG_CHARS)
      .replace(/-+$/, '') || 'file';
  return { slug, ext: ext ? `.${ext}` : '' };
}

export interface BuildKeyOptions {
  /** A folder for the key, e.g. `avatars/2024`. Normalised; hostile values throw `INVALID_INPUT`. */
  prefix?: string | null;
  /** Random hex appended to the slug; default 16 hex characters from `crypto.randomBytes`. */
  random?: string;
}

/**
 * Makes a fresh key from a user's file name: `<prefix>/<slug>_<random hex><ext>`. Whatever the name holds, the key
 * stays inside `prefix`.
 */
export function buildKey(name: string, options: BuildKeyOptions = {}): string {
  const { slug, ext } = slugifyName(name);
  const random = options.random ?? randomBytes(8).toString('hex');
  if (!/^[a-z0-9]+$/i.test(random)) throw invalid('the random part of a key must be alphanumeric', random);
  return joinKey(options.prefix, `${slug}_${random}${ext}`);
}

/** RFC 6266 `Content-Disposition` with an ASCII fallback and a UTF-8 `filename*`; quotes and controls are removed. */
export function contentDisposition(disposition: 'inline' | 'attachment', fileName?: string | null): string {
  if (!fileName) return disposition;
  const clean = fileName.replace(FORBIDDEN_ALL, '').replace(/[/\\]/g, '_');
  const ascii = clean
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^\x20-\x7e]/g, '_')
    .replace(/["%;]/g, '_');
  const encoded = encodeURIComponent(clean).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${disposition}; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}
