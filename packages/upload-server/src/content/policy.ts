import { supportedMimeTypes } from 'file-type/core';

export interface MimeLists {
  /** Types accepted; empty or absent accepts every type not denied. Patterns: `image/png`, `image/*`, `*` or `*\/*`. */
  allowed?: string[] | undefined;
  /** Types refused, checked first. Same patterns. */
  denied?: string[] | undefined;
}

export type MimeCheck =
  | {
      ok: true;
      /**
       * The type to record and serve. It is the detected type, except when the detection found only a generic type
       * (`application/octet-stream`, `text/plain`) and the client claimed a more precise one that the bytes cannot
       * contradict and that is safe to serve (e.g. `text/markdown`, `model/gltf-binary`).
       */
      mime: string;
    }
  | { ok: false; status: 400 | 415; message: string };

/** Lowercase `type/subtype` without parameters, or null when `value` is not a media type. */
export function essence(value: string | null | undefined): string | null {
  if (typeof value !== 'string') return null;
  const bare = value.split(';')[0]!.trim().toLowerCase();
  return /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/.test(bare) ? bare : null;
}

/** Whether a type matches a list entry: an exact type, a family (`image/*`) or everything (`*`, `*\/*`). */
export function matchesPattern(mime: string, pattern: string): boolean {
  const p = pattern.trim().toLowerCase();
  if (p === '*' || p === '*/*') return true;
  if (p.endsWith('/*')) return mime.startsWith(p.slice(0, -1));
  return mime === (essence(p) ?? p);
}

/** Types the detector recognises by their bytes: a claim of one of these that the detection did not confirm is false. */
const DETECTABLE = new Set<string>([
  ...(supportedMimeTypes as ReadonlySet<string>),
  'image/svg+xml',
  'text/html',
  'application/xml',
  'text/xml',
  'application/json',
]);

const GENERIC = new Set(['application/octet-stream', 'text/plain']);

/**
 * Types a browser (or a storage backend that serves the recorded type, like a public bucket) may run script from.
 * A claim never makes a body one of these; only its bytes can.
 */
const SCRIPTABLE = /html|xml|svg|javascript|ecmascript|jscript|pdf|shockwave|css|xsl|^multipart\/|^message\//;

export function isScriptable(mime: string): boolean {
  return SCRIPTABLE.test(mime);
}

/**
 * The type to record for a body whose bytes show `detectedMime`, given what the client claimed.
 *
 * The bytes win: a claim is never trusted over a specific detection. Only when the bytes show nothing specific is
 * a claim used, and only when the detector could not have confirmed it (a claim of `image/png` over bytes that are
 * not PNG is false, since PNG would have been recognised) and it is safe to serve (a claim can never make a body
 * HTML, SVG or script).
 */
export function resolveMime(detectedMime: string, claimedMime?: string | null): string {
  const detected = essence(detectedMime) ?? 'application/octet-stream';
  const claimed = essence(claimedMime);
  if (!claimed || claimed === detected || !GENERIC.has(detected)) return detected;
  if (DETECTABLE.has(claimed) || isScriptable(claimed) || GENERIC.has(claimed)) return detected;
  // Plain text may be refined to another text type only (text/markdown), never to a binary one.
  if (detected === 'text/plain' && !claimed.startsWith('text/')) return detected;
  return claimed;
}

/**
 * Checks an upload's type against the server's allow and deny lists.
 *
 * Decision on a claim the bytes contradict (say `image/png` over HTML bytes): the upload is not refused for the
 * mismatch itself; it is recorded as what the bytes are (`text/html`) and the lists are applied to that. Clients
 * often send a wrong type (curl's `application/octet-stream`, a type guessed from a renamed file), and refusing
 * those would break honest uploads, while trusting them is what makes a disguised file dangerous. Recording the
 * detected type makes the disguise harmless: an `image/*` allow-list refuses the HTML with a 415, and without lists
 * it is stored as `text/html`, which is never served inline (see {@link isInlineSafe}) and always with `nosniff`.
 */
export function checkMime(
  detectedMime: string,
  claimedMime: string | null | undefined,
  lists: MimeLists = {},
): MimeCheck {
  const mime = resolveMime(detectedMime, claimedMime);
  const denied = (lists.denied ?? []).find((pattern) => matchesPattern(mime, pattern));
  if (denied !== undefined) {
    return {
      ok: false,
      status: 415,
      message: `files of type ${mime} are not accepted (denied by "${denied}")${claimNote(mime, claimedMime)}`,
    };
  }
  const allowed = lists.allowed ?? [];
  if (allowed.length > 0 && !allowed.some((pattern) => matchesPattern(mime, pattern))) {
    return {
      ok: false,
      status: 415,
      message: `files of type ${mime} are not accepted; accepted types: ${allowed.join(', ')}${claimNote(mime, claimedMime)}`,
    };
  }
  return { ok: true, mime };
}

function claimNote(mime: string, claimedMime: string | null | undefined): string {
  const claimed = essence(claimedMime);
  return claimed && claimed !== mime ? ` (the file was sent as ${claimed}, but its content is ${mime})` : '';
}

// Types a browser shows without running anything from the file. Everything else (HTML, SVG, XML, JavaScript, PDF,
// unknown types) is served as an attachment. PDF is left out because PDF viewers run the JavaScript PDFs may carry.
const INLINE_SAFE = new Set([
  'image/png',
  'image/apng',
  'image/jpeg',
  'image/gif',
  'image/webp',
  'image/avif',
  'image/bmp',
  'image/x-icon',
  'image/vnd.microsoft.icon',
  'image/tiff',
  'image/heic',
  'image/heif',
  'image/jxl',
  'text/plain',
  'text/csv',
  'text/markdown',
  'application/json',
]);

/** Whether a type may be served `inline` from the API's origin: false for SVG, HTML, XML, JS and anything scriptable. */
export function isInlineSafe(mime: string | null | undefined): boolean {
  const type = essence(mime);
  if (!type) return false;
  if (INLINE_SAFE.has(type)) return true;
  return type.startsWith('audio/') || type.startsWith('video/');
}
