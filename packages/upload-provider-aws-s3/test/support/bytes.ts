import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** SHA-256 and length of a stream, read chunk by chunk. */
export async function hashOf(stream: AsyncIterable<Uint8Array | string>): Promise<{ hash: string; size: number }> {
  const h = createHash('sha256');
  let size = 0;
  for await (const chunk of stream) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += buf.byteLength;
    h.update(buf);
  }
  return { hash: h.digest('hex'), size };
}

/**
 * `size` random bytes as a stream of 64 KiB chunks made on demand, with the SHA-256 they will have: the test never
 * holds the whole body, and comparing hashes shows any framing (aws-chunked) stored in place of the bytes.
 */
export function randomStream(size: number, chunk = 64 * 1024): { stream: Readable; expected: Promise<string> } {
  const h = createHash('sha256');
  let resolve!: (hash: string) => void;
  const expected = new Promise<string>((r) => {
    resolve = r;
  });
  async function* generate() {
    let left = size;
    while (left > 0) {
      const part = randomBytes(Math.min(chunk, left));
      h.update(part);
      left -= part.length;
      yield part;
    }
    resolve(h.digest('hex'));
  }
  return { stream: Readable.from(generate()), expected };
}

/** A stream that yields `chunks` and then fails with `error`. */
export function failingStream(chunks: Buffer[], error: Error): Readable {
  async function* generate() {
    for (const c of chunks) yield c;
    throw error;
  }
  return Readable.from(generate());
}
