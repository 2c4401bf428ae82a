import { createHash, randomBytes } from 'node:crypto';
import { HttpError } from '../errors.js';

// Control characters (C0, DEL, C1) and bidirectional controls (marks, embeddings, overrides, isolates): they hide
// or reorder what a name shows (`invoice\u202etxt.exe`), so a name holding one is refused, not repaired.
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const REFUSED_NAME_CHAR = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;

// Invisible characters with no use in a name (zero-width space, word joiner, byte-order mark): dropped quietly.
// Zero-width joiners stay: emoji sequences and several scripts need them.
const DROPPED_NAME_CHARS = /[\u200b\u2060\ufeff]/g;

/**
 * Refuses a name with a control or bidirectional character: a 400 `ValidationError` that names the character
 * (`U+0000`) and where it was (`field`, e.g. `fileInfo.name`). Other names pass unchanged.
 */
export function checkName(name: string, field: string): void {
  const found = REFUSED_NAME_CHAR.exec(name);
  if (!found) return;
  const code = `U+${found[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: telling control characters apart is the point
  const kind = /[\u0000-\u001f\u007f-\u009f]/.test(found[0]) ? 'a control character' : 'a bidirectional control';
  const message = `${field} contains ${code}, ${kind}, which a file name cannot hold: remove it`;
  throw new HttpError(400, message, { errors: [{ path: field.split('.'), message, name: 'ValidationError' }] });
}

/**
 * A display name safe to store and show: the last path segment only (`../../etc/passwd` → `passwd`), NFC, without
 * control, bidi or zero-width characters, trimmed, at most 255 characters; `fallback` when nothing is left. Names
 * from clients are checked with {@link checkName} first; this also cleans names the server derives (from a URL).
 */
export function sanitiseName(name: string | null | undefined, fallback = 'file'): string {
  const last = String(name ?? '')
    .normalize('NFC')
    .replace(new RegExp(REFUSED_NAME_CHAR.source, 'gu'), '')
    .replace(DROPPED_NAME_CHARS, '')
    .split(/[/\\]/)
    .pop()!
    .trim();
  const clean = last === '.' || last === '..' ? '' : last;
  return clean === '' ? fallback : [...clean].slice(0, 255).join('');
}

/** Strapi-style document ids: 24 lowercase alphanumerics. */
export function newDocumentId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(24);
  let out = '';
  for (const b of bytes) out += alphabet[b % 36];
  return out;
}

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}
