import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';

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
