import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { Upload, type UploadOptions } from 'tus-js-client';

export const MiB = 1024 * 1024;

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Random bytes behind a PNG-free, text-free head (so the type is `application/octet-stream`). */
export function randomFile(size: number): Buffer {
  const bytes = randomBytes(size);
  // A zero byte early makes it binary for the text heuristics.
  if (size > 0) bytes[0] = 0;
  return bytes;
}

/**
 * A TCP proxy in front of the server that destroys the first connection carrying more than `cutAfter` bytes from
 * the client, in the middle of whatever request is on it; later connections pass untouched.
 */
export async function startCuttingProxy(
  target: string,
  cutAfter: number,
): Promise<{ url: string; cuts: () => number; close(): Promise<void> }> {
  const { hostname, port } = new URL(target);
  let cuts = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(Number(port), hostname);
    sockets.add(client);
    sockets.add(upstream);
    let sent = 0;
    client.on('data', (chunk: Buffer) => {
      sent += chunk.length;
      if (cuts === 0 && sent > cutAfter) {
        cuts += 1;
        client.destroy();
        upstream.destroy();
        return;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => client.write(chunk));
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', end);
    upstream.on('error', end);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    cuts: () => cuts,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

export interface TusRun {
  url: string;
  /** The final response's body (the file entities). */
  body: string;
  status: number;
  /** `Upload-Offset` of every HEAD the client made (where it resumed from). */
  resumedFrom: number[];
}

/** Uploads `bytes` with tus-js-client to `<origin>/api/upload/tus`. */
export function tusUpload(origin: string, bytes: Buffer, options: Partial<UploadOptions> = {}): Promise<TusRun> {
  const resumedFrom: number[] = [];
  return new Promise((resolve, reject) => {
    const upload = new Upload(bytes, {
      endpoint: `${origin}/api/upload/tus`,
      chunkSize: 5 * MiB,
      retryDelays: [0, 50, 200],
      metadata: { filename: 'big.bin', filetype: 'application/octet-stream' },
      ...options,
      onAfterResponse: (req, res) => {
        if (req.getMethod() === 'HEAD') resumedFrom.push(Number(res.getHeader('Upload-Offset')));
        return options.onAfterResponse?.(req, res);
      },
      onError: reject,
      onSuccess: ({ lastResponse }) =>
        resolve({ url: upload.url ?? '', body: lastResponse.getBody(), status: lastResponse.getStatus(), resumedFrom }),
    });
    upload.start();
  });
}

/** A tus request by hand (for the refusals a well-behaved client never makes). */
export async function tusRequest(
  url: string,
  method: string,
  headers: Record<string, string> = {},
  body?: Uint8Array,
): Promise<{ status: number; headers: Headers; text: string }> {
  const res = await fetch(url, {
    method,
    headers: { 'tus-resumable': '1.0.0', ...headers },
    ...(body ? { body } : {}),
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** `Upload-Metadata` from pairs (values base64, as tus wants). */
export function tusMetadata(pairs: Record<string, string>): string {
  return Object.entries(pairs)
    .map(([k, v]) => `${k} ${Buffer.from(v).toString('base64')}`)
    .join(',');
}
