import { randomBytes } from 'node:crypto';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { CloudinarySdk } from './sdk.js';

/**
 * An agent of the API URL's protocol. Each upload gets its own, so that aborting can destroy exactly that upload's
 * sockets (the SDK offers no other way to cancel a request).
 */
export function apiAgent(apiUrl: string, keepAlive: boolean): HttpAgent {
  return apiUrl.startsWith('http:') ? new HttpAgent({ keepAlive }) : new HttpsAgent({ keepAlive });
}

export interface SendOptions {
  sdk: CloudinarySdk;
  /** Everything `upload_stream` needs: credentials, resource_type, public_id, type... */
  params: Record<string, unknown>;
  agent: HttpAgent;
  /** Fires when the caller aborts or another part of the upload failed. */
  signal: AbortSignal;
}

/** Streams `source` as one upload request (`upload_stream`); resolves with Cloudinary's answer. */
export async function sendSingle(
  source: Readable,
  counter: Transform,
  { sdk, params, agent, signal }: SendOptions,
): Promise<Record<string, unknown>> {
  let target!: Writable;
  const answered = new Promise<Record<string, unknown>>((resolve, reject) => {
    target = sdk.uploader.upload_stream({ ...params, agent }, (error, result) =>
      error ? reject(error) : resolve(result ?? {}),
    );
  });
  const local = new AbortController();
  const stop = () => local.abort(signal.reason);
  signal.addEventListener('abort', stop, { once: true });
  try {
    const piping = pipeline(source, counter, target, { signal: local.signal }).catch((e) => {
      // The request cannot finish without the rest of the body: close its socket so the SDK's promise settles.
      agent.destroy();
      throw e;
    });
    const result = answered.catch((e) => {
      // Cloudinary answered early (an error): stop reading the source.
      local.abort(e);
      throw e;
    });
    const [, answer] = await Promise.all([piping, result]);
    return answer;
  } finally {
    signal.removeEventListener('abort', stop);
  }
}

function sendChunk(
  buffers: Buffer[],
  range: string,
  uploadId: string,
  { sdk, params, agent }: SendOptions,
): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const target = sdk.uploader.upload_stream(
      { ...params, agent, content_range: range, x_unique_upload_id: uploadId },
      (error, result) => (error ? reject(error) : resolve(result ?? {})),
    );
    for (const b of buffers) target.write(b);
    target.end();
  });
}

/**
 * Uploads `source` in chunks of `chunkSize` bytes with `Content-Range` and `X-Unique-Upload-Id`, as the SDK's own
 * chunked upload does, one request at a time. A chunk is held in memory until it is sent (so memory is bounded by the
 * chunk size, not the file), and the last one carries the total so Cloudinary can assemble the file.
 */
export async function sendChunked(
  source: Readable,
  counter: Transform,
  chunkSize: number,
  options: SendOptions,
): Promise<{ answer: Record<string, unknown>; bytes: number }> {
  const uploadId = randomBytes(12).toString('hex');
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let sent = 0;
  let answer: Record<string, unknown> = {};

  const take = (n: number): Buffer[] => {
    const out: Buffer[] = [];
    let need = n;
    while (need > 0) {
      const head = pending[0]!;
      if (head.length <= need) {
        out.push(head);
        pending.shift();
        need -= head.length;
      } else {
        out.push(head.subarray(0, need));
        pending[0] = head.subarray(need);
        need = 0;
      }
    }
    pendingBytes -= n;
    return out;
  };

  await pipeline(
    source,
    counter,
    async (chunks: AsyncIterable<Buffer | Uint8Array>) => {
      for await (const raw of chunks) {
        const chunk = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
        pending.push(chunk);
        pendingBytes += chunk.length;
        // Send a full chunk only once a byte beyond it has arrived: only then is it known not to be the last.
        while (pendingBytes > chunkSize) {
          const start = sent;
          await sendChunk(take(chunkSize), `bytes ${start}-${start + chunkSize - 1}/-1`, uploadId, options);
          sent += chunkSize;
        }
      }
      if (pendingBytes === 0) return;
      const start = sent;
      const end = sent + pendingBytes;
      answer = await sendChunk(take(pendingBytes), `bytes ${start}-${end - 1}/${end}`, uploadId, options);
      sent = end;
      pending = [];
    },
    { signal: options.signal },
  );
  return { answer, bytes: sent };
}

/**
 * Reads the first `n` bytes of a stream (fewer if it ends sooner) and puts them back, so the stream can still be
 * consumed whole. Used to see whether a file's bytes really are an image or a video.
 */
export async function peek(stream: Readable, n: number, signal?: AbortSignal): Promise<Buffer> {
  const parts: Buffer[] = [];
  let length = 0;
  while (length < n) {
    const chunk = stream.read() as Buffer | Uint8Array | string | null;
    if (chunk !== null) {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
      parts.push(buf);
      length += buf.length;
      continue;
    }
    if (stream.readableEnded || stream.destroyed) break;
    await new Promise<void>((resolve, reject) => {
      const cleanup = () => {
        stream.off('readable', done);
        stream.off('end', done);
        stream.off('error', fail);
        signal?.removeEventListener('abort', aborted);
      };
      const done = () => {
        cleanup();
        resolve();
      };
      const fail = (e: unknown) => {
        cleanup();
        reject(e);
      };
      const aborted = () => fail(signal?.reason);
      stream.once('readable', done);
      stream.once('end', done);
      stream.once('error', fail);
      signal?.addEventListener('abort', aborted, { once: true });
    });
    if (stream.errored) throw stream.errored;
  }
  const head = Buffer.concat(parts);
  if (head.length > 0) stream.unshift(head);
  return head;
}
