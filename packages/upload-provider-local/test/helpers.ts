import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { createLocalHandler, type LocalHandlerOptions, type LocalProvider, localProvider } from '../src/index.js';

export const SECRET = randomBytes(32).toString('hex');

export interface Harness {
  provider: LocalProvider;
  root: string;
  origin: string;
  server: Server;
  close(): Promise<void>;
}

/**
 * A real HTTP server on 127.0.0.1 (port 0) whose requests go to the local provider's handler; anything the handler
 * declines gets a 418, so tests can tell "fell through" from the handler's own answers.
 */
export async function startHarness(
  options: Partial<Parameters<typeof localProvider>[0]> = {},
  handlerOptions: LocalHandlerOptions = {},
): Promise<Harness> {
  const root = mkdtempSync(join(tmpdir(), 'upl-local-'));
  let handler: ReturnType<typeof createLocalHandler> | undefined;
  const server = createServer((req, res) => {
    handler!(req, res)
      .then((handled) => {
        if (!handled) {
          res.statusCode = 418;
          res.end('not mine');
        }
      })
      .catch((error: unknown) => {
        res.statusCode = 599;
        res.end(String(error));
      });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const provider = localProvider({ root, baseUrl: `${origin}/uploads`, secret: SECRET, ...options });
  handler = createLocalHandler(provider, handlerOptions);
  return {
    provider,
    root,
    origin,
    server,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(root, { recursive: true, force: true });
    },
  };
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** An HTTP request with the path sent exactly as given (fetch would resolve `..` and percent-escapes first). */
export function rawRequest(
  origin: string,
  path: string,
  options: { method?: string; headers?: Record<string, string | number>; body?: Buffer | string } = {},
): Promise<RawResponse> {
  const { hostname, port } = new URL(origin);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path, method: options.method ?? 'GET', headers: options.headers });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Every regular file under `dir`, relative to it (the provider's own folder included). */
export function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(d)) {
      const p = join(d, entry);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

/** Deletes every object a test stored, through the provider, leaving the provider's own folder as it is. */
export async function removeObjects(h: Harness): Promise<void> {
  for (const file of filesUnder(h.root)) {
    if (!file.startsWith('.upload-provider-local')) await h.provider.delete({ key: file });
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A multipart body built byte by byte, so tests control exactly what is sent. */
export function multipartBody(
  parts: Array<{ name: string; value: string | Buffer; filename?: string; type?: string }>,
  boundary = `----test${randomBytes(8).toString('hex')}`,
): { body: Buffer; contentType: string } {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"`;
    if (part.filename !== undefined) head += `; filename="${part.filename}"`;
    head += '\r\n';
    if (part.type) head += `Content-Type: ${part.type}\r\n`;
    chunks.push(Buffer.from(`${head}\r\n`), Buffer.from(part.value), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}
