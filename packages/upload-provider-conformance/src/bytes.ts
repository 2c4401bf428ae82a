import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Hash of a stream, read chunk by chunk (never held whole). */
export async function hashStream(stream: AsyncIterable<Uint8Array | string>): Promise<{ hash: string; size: number }> {
  const h = createHash('sha256');
  let size = 0;
  for await (const chunk of stream) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += buf.byteLength;
    h.update(buf);
  }
  return { hash: h.digest('hex'), size };
}

/** Hash of an HTTP response body, streamed. */
export async function hashResponse(res: Response): Promise<{ hash: string; size: number }> {
  if (!res.body) return { hash: sha256(new Uint8Array()), size: 0 };
  return hashStream(res.body as unknown as AsyncIterable<Uint8Array>);
}

/**
 * A stream of `size` pseudo-random bytes made chunk by chunk from a seed, so a multi-MiB body never exists whole in
 * the suite's memory. `expected` is the SHA-256 the bytes will have.
 */
export function generatedStream(size: number, chunkSize = 64 * 1024): { stream: Readable; expected: string } {
  const seed = randomBytes(16);
  const total = createHash('sha256');
  // Hash first with the same generator, chunk by chunk, so the expectation is known up front.
  for (const chunk of generate(seed, size, chunkSize)) total.update(chunk);
  return { stream: Readable.from(generate(seed, size, chunkSize)), expected: total.digest('hex') };
}

function* generate(seed: Buffer, size: number, chunkSize: number): Generator<Buffer> {
  let produced = 0;
  let counter = 0;
  while (produced < size) {
    const n = Math.min(chunkSize, size - produced);
    const chunk = Buffer.allocUnsafe(n);
    for (let off = 0; off < n; off += 32) {
      const block = createHash('sha256').update(seed).update(String(counter++)).digest();
      block.copy(chunk, off, 0, Math.min(32, n - off));
    }
    produced += n;
    yield chunk;
  }
}
