import { request as httpRequest } from 'node:http';

export interface FilePart {
  name?: string;
  filename: string;
  type?: string;
  content: Uint8Array | string;
}

/** A multipart body from FormData, as a browser or `@strapi/client` sends it. */
export function form(files: FilePart[], fields: Record<string, string | string[]> = {}, fieldsFirst = false): FormData {
  const data = new FormData();
  const addFields = () => {
    for (const [k, v] of Object.entries(fields)) for (const value of Array.isArray(v) ? v : [v]) data.append(k, value);
  };
  if (fieldsFirst) addFields();
  for (const f of files) {
    const bytes = typeof f.content === 'string' ? new TextEncoder().encode(f.content) : f.content;
    data.append(f.name ?? 'files', new Blob([bytes], { type: f.type ?? 'application/octet-stream' }), f.filename);
  }
  if (!fieldsFirst) addFields();
  return data;
}

export interface RawPart {
  name: string;
  filename?: string;
  type?: string;
  content: string | Uint8Array;
}

/** A multipart body built by hand (e.g. `files[]` parts as Strapi v3 clients send them). */
export function rawMultipart(parts: RawPart[]): { body: Buffer; contentType: string } {
  const boundary = `----upload-server-test-${Math.random().toString(16).slice(2)}`;
  const chunks: Buffer[] = [];
  for (const p of parts) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"`;
    if (p.filename !== undefined) head += `; filename="${p.filename}"`;
    head += '\r\n';
    if (p.type) head += `Content-Type: ${p.type}\r\n`;
    chunks.push(Buffer.from(`${head}\r\n`), Buffer.from(p.content), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked field by field in the tests
export async function json(res: Response): Promise<any> {
  const text = await res.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`not JSON (${res.status}): ${text.slice(0, 300)}`);
  }
}

/**
 * Starts a multipart upload of `total` bytes with node:http, sends `sendBytes` of the file, then destroys the
 * socket: a client that goes away mid-upload. Resolves once the socket is closed.
 */
export function abortedUpload(
  url: string,
  total: number,
  sendBytes: number,
  beforeAbort: () => Promise<void> = async () => {},
  headers: Record<string, string> = {},
  part: { filename?: string; type?: string; head?: Uint8Array } = {},
) {
  return new Promise<void>((resolve) => {
    const boundary = '----abort-test';
    const head = Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="${part.filename ?? 'big.bin'}"\r\n` +
        `Content-Type: ${part.type ?? 'application/octet-stream'}\r\n\r\n`,
    );
    // The file's first bytes, when given (a real image head makes the server treat it as that image).
    const fileHead = Buffer.from(part.head ?? []);
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
    const req = httpRequest(url, {
      method: 'POST',
      headers: {
        ...headers,
        'content-type': `multipart/form-data; boundary=${boundary}`,
        'content-length': String(head.length + total + tail.length),
      },
    });
    req.on('error', () => resolve());
    req.on('close', () => resolve());
    req.write(head);
    req.write(fileHead);
    const chunk = Buffer.alloc(64 * 1024, 7);
    let sent = fileHead.length;
    const pump = () => {
      while (sent < sendBytes) {
        const n = Math.min(chunk.length, sendBytes - sent);
        sent += n;
        if (!req.write(chunk.subarray(0, n))) {
          req.once('drain', pump);
          return;
        }
      }
      beforeAbort().then(
        () => req.destroy(),
        () => req.destroy(),
      );
    };
    pump();
  });
}

/** Polls `check` until it returns true (the server finishes its clean-up after a response or a disconnect). */
export async function eventually(check: () => Promise<boolean>, what: string, tries = 200): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`never happened: ${what}`);
}
