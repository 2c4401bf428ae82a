import { Readable } from 'node:stream';

/** A malformed or over-limit multipart body; `status` is the HTTP status to answer with. */
export class MultipartError extends Error {
  override readonly name = 'MultipartError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface PartInfo {
  /** The form field's name. */
  name: string;
  /** The file name the client sent; present for file parts only. */
  filename?: string | undefined;
  /** The part's `Content-Type`, `application/octet-stream` when a file part has none. */
  contentType: string;
}

export interface MultipartHandlers {
  /** A text field. Throw to stop parsing. */
  field(name: string, value: string): void;
  /** The first file part. Resolves once `stream` is consumed; rejecting stops parsing. Later parts are not read. */
  file(info: PartInfo, stream: Readable): Promise<void>;
}

export interface MultipartLimits {
  /** Bytes in one text field. */
  fieldBytes: number;
  /** Number of text fields. */
  fields: number;
  /** Bytes in one part's header block. */
  headerBytes: number;
}

export const DEFAULT_LIMITS: MultipartLimits = { fieldBytes: 64 * 1024, fields: 64, headerBytes: 16 * 1024 };

const CRLF = Buffer.from('\r\n');
const HEADER_END = Buffer.from('\r\n\r\n');

/** The boundary of a `multipart/form-data` content type, or null when it is not one. */
export function boundaryOf(contentType: string | undefined): string | null {
  if (!contentType || !/^multipart\/form-data\s*(;|$)/i.test(contentType)) return null;
  const match = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;"]{1,70}))/i.exec(contentType);
  return match ? (match[1] ?? match[2] ?? null) : null;
}

function parseDisposition(value: string): { name?: string; filename?: string } {
  const out: { name?: string; filename?: string } = {};
  if (!/^\s*form-data\s*(;|$)/i.test(value)) return out;
  const params = /;\s*([^=;\s]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))/g;
  for (let m = params.exec(value); m; m = params.exec(value)) {
    const key = m[1]!.toLowerCase();
    const raw = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3]!.trim();
    if (key === 'name') out.name = raw;
    else if (key === 'filename') out.filename = raw;
  }
  return out;
}

function parseHeaders(block: string): Map<string, string> {
  const headers = new Map<string, string>();
  for (const line of block.split('\r\n')) {
    if (line === '') continue;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new MultipartError(400, `a multipart part has a malformed header line: ${line.slice(0, 80)}`);
    headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return headers;
}

/**
 * Reads a `multipart/form-data` body from `source`, streaming: text fields are handed over whole (they are bounded by
 * `limits`), the first file part as a stream with back-pressure, never buffered. Stops after the file part, leaving
 * the rest of `source` unread (the caller drains or closes it). Never destroys `source`, so the caller can still
 * answer on its socket. Rejects with {@link MultipartError} for a malformed body, or with a handler's error.
 */
export async function parseMultipart(
  source: Readable,
  boundary: string,
  handlers: MultipartHandlers,
  limits: MultipartLimits = DEFAULT_LIMITS,
): Promise<{ file: boolean }> {
  const iterator = source.iterator({ destroyOnReturn: false });
  try {
    return await parseParts(iterator, boundary, handlers, limits);
  } finally {
    // Detach the iterator (without destroying the source) so the caller can drain the rest with resume().
    await iterator.return?.().catch(() => undefined);
  }
}

async function parseParts(
  iterator: AsyncIterator<unknown>,
  boundary: string,
  handlers: MultipartHandlers,
  limits: MultipartLimits,
): Promise<{ file: boolean }> {
  const delimiter = Buffer.from(`\r\n--${boundary}`);
  const keep = delimiter.length - 1;
  // The first delimiter has no CRLF before it; pretend it does so one search finds every delimiter.
  let buf: Buffer = Buffer.from(CRLF);

  const more = async (): Promise<boolean> => {
    const next = await iterator.next();
    if (next.done) return false;
    const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value as Uint8Array);
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    return true;
  };
  const truncated = () => new MultipartError(400, 'the multipart body ended early (was the upload interrupted?)');

  // Preamble: discard everything before the first delimiter.
  for (;;) {
    const at = buf.indexOf(delimiter);
    if (at >= 0) {
      buf = buf.subarray(at + delimiter.length);
      break;
    }
    if (buf.length > keep) buf = buf.subarray(buf.length - keep);
    if (!(await more())) throw new MultipartError(400, `the body holds no multipart boundary "${boundary}"`);
  }

  let fieldCount = 0;
  for (;;) {
    // After a delimiter: "--" closes the body, CRLF opens a part.
    while (buf.length < 2) if (!(await more())) throw truncated();
    if (buf[0] === 0x2d && buf[1] === 0x2d) return { file: false };
    if (buf[0] !== 0x0d || buf[1] !== 0x0a)
      throw new MultipartError(400, 'a multipart boundary is not followed by CRLF');
    buf = buf.subarray(2);

    // Headers, up to the blank line (or none at all when the part starts with CRLF).
    let headerBlock: string;
    for (;;) {
      if (buf.length >= 2 && buf[0] === 0x0d && buf[1] === 0x0a) {
        headerBlock = '';
        buf = buf.subarray(2);
        break;
      }
      const end = buf.indexOf(HEADER_END);
      if (end >= 0) {
        headerBlock = buf.subarray(0, end).toString('utf8');
        buf = buf.subarray(end + HEADER_END.length);
        break;
      }
      if (buf.length > limits.headerBytes) {
        throw new MultipartError(431, `a multipart part's headers exceed ${limits.headerBytes} bytes`);
      }
      if (!(await more())) throw truncated();
    }
    const headers = parseHeaders(headerBlock);
    const { name, filename } = parseDisposition(headers.get('content-disposition') ?? '');
    if (name === undefined) throw new MultipartError(400, 'a multipart part has no Content-Disposition name');

    if (filename === undefined) {
      // A text field: small by limit, so collected whole.
      if (++fieldCount > limits.fields) throw new MultipartError(400, `the form has more than ${limits.fields} fields`);
      for (;;) {
        const at = buf.indexOf(delimiter);
        if (at >= 0) {
          if (at > limits.fieldBytes) throw fieldTooLarge(name, limits);
          handlers.field(name, buf.subarray(0, at).toString('utf8'));
          buf = buf.subarray(at + delimiter.length);
          break;
        }
        if (buf.length > limits.fieldBytes + keep) throw fieldTooLarge(name, limits);
        if (!(await more())) throw truncated();
      }
      continue;
    }

    // The file: streamed to the handler, with back-pressure from its consumer.
    let wake: (() => void) | undefined;
    const stream = new Readable({
      read() {
        const w = wake;
        wake = undefined;
        w?.();
      },
    });
    // Its consumer listens for errors once it reads; until then (or if it never does) a failure must not go unhandled.
    stream.on('error', () => undefined);
    const info: PartInfo = { name, filename, contentType: headers.get('content-type') || 'application/octet-stream' };
    const done = handlers.file(info, stream);
    done.catch(() => undefined); // observed below; this only stops an "unhandled rejection" while we are parked
    const push = async (bytes: Buffer): Promise<void> => {
      if (bytes.length === 0 || stream.push(bytes)) return;
      await Promise.race([new Promise<void>((resolve) => (wake = resolve)), done]);
    };
    try {
      for (;;) {
        const at = buf.indexOf(delimiter);
        if (at >= 0) {
          await push(buf.subarray(0, at));
          buf = buf.subarray(at + delimiter.length);
          stream.push(null);
          await done;
          return { file: true };
        }
        if (buf.length > keep) {
          const ready = buf.subarray(0, buf.length - keep);
          buf = buf.subarray(buf.length - keep);
          await push(ready);
        }
        if (!(await more())) throw truncated();
      }
    } catch (error) {
      // Whatever went wrong, the consumer must see the file fail (and remove what it wrote) before we report it.
      if (!stream.destroyed) stream.destroy(error instanceof Error ? error : new Error(String(error)));
      await done.catch(() => undefined);
      throw error;
    }
  }
}

function fieldTooLarge(name: string, limits: MultipartLimits): MultipartError {
  return new MultipartError(413, `the form field "${name}" is larger than ${limits.fieldBytes} bytes`);
}
