import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** SHA-256 and length of a stream, read chunk by chunk. */
export async function hashOf(stream: AsyncIterable<Uint8Array | string>): Promise<{ hash: string; size: number }> {
  const h = createHash('sha256');
  let size = 0;
  for await (const chunk of stream) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += b.byteLength;
    h.update(b);
  }
  return { hash: h.digest('hex'), size };
}

/** `size` bytes made `chunk` at a time from a counter (never held whole), and the SHA-256 they will have. */
export function countingStream(size: number, chunk = 64 * 1024): { stream: Readable; hash: string } {
  const make = function* () {
    for (let off = 0, n = 0; off < size; off += chunk, n++) {
      const len = Math.min(chunk, size - off);
      yield Buffer.alloc(len, n % 251);
    }
  };
  const h = createHash('sha256');
  for (const c of make()) h.update(c);
  return { stream: Readable.from(make()), hash: h.digest('hex') };
}
