import { createHash, randomBytes } from 'node:crypto';

// Control characters and characters that render invisibly or reorder text (bidi overrides).
// biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
const UNSAFE_NAME_CHARS = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;

/**
 * A display name safe to store and show: the last path segment only (`../../etc/passwd` → `passwd`), NFC, without
 * control or bidi-override characters, trimmed, at most 255 characters; `fallback` when nothing is left.
 */
export function sanitiseName(name: string | null | undefined, fallback = 'file'): string {
  const last = String(name ?? '')
    .normalize('NFC')
    .replace(UNSAFE_NAME_CHARS, '')
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
