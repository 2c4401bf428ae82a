import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';

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
