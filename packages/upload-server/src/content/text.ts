/**
 * Heuristics for text formats that have no magic number. They look at the head of a body only; `complete` says the
 * head is the whole body (so a JSON document can be parsed whole and a cut UTF-8 sequence at the end is an error).
 */

import { isUtf8 } from 'node:buffer';

export interface TextType {
  mime: string;
  ext: string | null;
}

// The elements that make a browser sniff a document as HTML (WHATWG MIME Sniffing, "rules for identifying an
// unknown MIME type"), plus a few more that only make sense in HTML.
const HTML_ELEMENTS = new Set([
  'html',
  'head',
  'script',
  'iframe',
  'h1',
  'div',
  'font',
  'table',
  'a',
  'style',
  'title',
  'b',
  'body',
  'br',
  'p',
  'meta',
  'link',
  'form',
  'img',
  'object',
  'embed',
]);

/** Decodes the head as text, or returns null when it is not text (invalid UTF-8, NUL or other control bytes). */
export function decodeText(head: Uint8Array, complete: boolean): string | null {
  let bytes = head;
  let encoding: 'utf-8' | 'utf-16le' | 'utf-16be' = 'utf-8';
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
  else if (bytes[0] === 0xff && bytes[1] === 0xfe) {
    encoding = 'utf-16le';
    bytes = bytes.subarray(2);
  } else if (bytes[0] === 0xfe && bytes[1] === 0xff) {
    encoding = 'utf-16be';
    bytes = bytes.subarray(2);
  }
  if (!complete) bytes = trimCutSequence(bytes, encoding);
  // Most binary bodies show it at once (a NUL, bytes that are not UTF-8): answered without decoding, or throwing.
  if (encoding === 'utf-8' && (bytes.includes(0) || !isUtf8(bytes))) return null;
  let text: string;
  try {
    text = new TextDecoder(encoding, { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return null;
  }
  // Text has no NULs and few control characters; binary formats file-type does not know have many.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: counting control characters is the point
  const controls = text.match(/[\u0000-\u0008\u000b\u000e-\u001a\u001c-\u001f\u007f]/g)?.length ?? 0;
  if (text.includes('\u0000') || controls > text.length / 100) return null;
  return text;
}

/** Drops a multi-byte character cut by the end of the head (the rest of it is in the next chunk). */
function trimCutSequence(bytes: Uint8Array, encoding: string): Uint8Array {
  if (encoding !== 'utf-8') return bytes.length % 2 === 1 ? bytes.subarray(0, -1) : bytes;
  // Step back over up to 3 continuation bytes to the lead byte; drop the sequence if it is incomplete.
  for (let back = 1; back <= 4 && back <= bytes.length; back++) {
    const byte = bytes[bytes.length - back]!;
    if ((byte & 0xc0) === 0x80) continue;
    const needed = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return needed > back ? bytes.subarray(0, bytes.length - back) : bytes;
  }
  return bytes;
}

/**
 * Skips what may come before a markup document's first element: whitespace, an XML declaration, processing
 * instructions, comments and a doctype. Returns the doctype's name (lowercase) and the text from the first element on.
 */
function skipProlog(text: string): { doctype: string | null; rest: string; hadProlog: boolean } {
  let rest = text;
  let doctype: string | null = null;
  let hadProlog = false;
  for (;;) {
    rest = rest.replace(/^\s+/, '');
    if (rest.startsWith('<?')) {
      const end = rest.indexOf('?>');
      if (end < 0) return { doctype, rest: '', hadProlog: true };
      rest = rest.slice(end + 2);
      hadProlog = true;
    } else if (rest.startsWith('<!--')) {
      const end = rest.indexOf('-->', 4);
      if (end < 0) return { doctype, rest: '', hadProlog: true };
      rest = rest.slice(end + 3);
      hadProlog = true;
    } else if (/^<!doctype\s/i.test(rest)) {
      doctype = /^<!doctype\s+([^\s>[]+)/i.exec(rest)?.[1]?.toLowerCase() ?? '';
      // A doctype may carry an internal subset in brackets, which may itself contain '>'.
      const bracket = rest.indexOf('[');
      const close = rest.indexOf('>');
      let end = close;
      if (bracket >= 0 && (close < 0 || bracket < close)) {
        const subsetEnd = rest.indexOf(']', bracket);
        end = subsetEnd < 0 ? -1 : rest.indexOf('>', subsetEnd);
      }
      if (end < 0) return { doctype, rest: '', hadProlog: true };
      rest = rest.slice(end + 1);
      hadProlog = true;
    } else {
      return { doctype, rest, hadProlog };
    }
  }
}

function markupType(text: string): TextType | null {
  const trimmed = text.replace(/^\s+/, '');
  if (!trimmed.startsWith('<')) return null;
  const { doctype, rest, hadProlog } = skipProlog(trimmed);
  const element = /^<([a-zA-Z_][\w.:-]*)/.exec(rest)?.[1]?.toLowerCase() ?? null;
  const local = element?.split(':').pop() ?? null;
  if (local === 'svg' || doctype === 'svg') return { mime: 'image/svg+xml', ext: 'svg' };
  if (doctype === 'html' || (local !== null && HTML_ELEMENTS.has(local))) return { mime: 'text/html', ext: 'html' };
  // A browser takes a body that opens with a comment (and no XML declaration) as HTML, so do the same.
  if (trimmed.startsWith('<!--') && !/^\s*<\?xml/.test(trimmed)) return { mime: 'text/html', ext: 'html' };
  // Anything scriptable can hide deeper in an XML or HTML document than the head; a `<script` in the head of a
  // document that looked like plain XML still makes it HTML for a browser that ignores the type.
  if (element || hadProlog) {
    if (/<script[\s>/]/i.test(rest)) return { mime: 'text/html', ext: 'html' };
    return { mime: 'application/xml', ext: 'xml' };
  }
  return null;
}

/** True when `text` is a JSON document, or (cut by the head) plausibly the start of one. */
function looksLikeJson(text: string, complete: boolean): boolean {
  const trimmed = text.trim();
  if (!(trimmed.startsWith('{') || trimmed.startsWith('['))) return false;
  if (complete) {
    try {
      JSON.parse(trimmed);
      return true;
    } catch {
      return false;
    }
  }
  // The head of a longer document: an object opens with a key or closes; an array opens with a value.
  return /^\{\s*("|\})/.test(trimmed) || /^\[\s*("|\{|\[|-|\d|true|false|null|\])/.test(trimmed);
}

/** True when the first lines split into the same number (at least two) of comma- or semicolon-separated fields. */
function looksLikeCsv(text: string, complete: boolean): boolean {
  let lines = text.split(/\r?\n/);
  if (!complete) lines = lines.slice(0, -1);
  lines = lines.filter((line) => line.length > 0).slice(0, 20);
  if (lines.length < 2) return false;
  for (const separator of [',', ';', '\t']) {
    const counts = lines.map((line) => countFields(line, separator));
    if (counts[0]! >= 2 && counts.every((count) => count === counts[0])) return true;
  }
  return false;
}

function countFields(line: string, separator: string): number {
  let fields = 1;
  let quoted = false;
  for (const char of line) {
    if (char === '"') quoted = !quoted;
    else if (char === separator && !quoted) fields++;
  }
  return quoted ? -1 : fields;
}

/** The text type of a head, or null when it is not text. */
export function detectText(head: Uint8Array, complete: boolean): TextType | null {
  const text = decodeText(head, complete);
  if (text === null) return null;
  if (text.trim() === '') return { mime: 'text/plain', ext: 'txt' };
  const markup = markupType(text);
  if (markup) return markup;
  if (looksLikeJson(text, complete)) return { mime: 'application/json', ext: 'json' };
  if (looksLikeCsv(text, complete)) return { mime: 'text/csv', ext: 'csv' };
  return { mime: 'text/plain', ext: 'txt' };
}
