import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';

/** A 1×1 PNG. */
export const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=',
  'base64',
);

/** The start of an MP4 file (an `ftyp` box) followed by `size - 24` random bytes. */
export function mp4(size = 4096): Buffer {
  const head = Buffer.concat([
    Buffer.from([0, 0, 0, 0x18]),
    Buffer.from('ftypmp42\u0000\u0000\u0000\u0000mp42isom', 'latin1'),
  ]);
  return Buffer.concat([head, randomBytes(size - head.length)]);
}

export const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** A stream of `size` pseudo-random bytes made 64 KiB at a time, and the SHA-256 it will have. */
export function generated(size: number): { stream: Readable; hash: string } {
  const block = randomBytes(64 * 1024);
  const hash = createHash('sha256');
  for (let left = size; left > 0; left -= block.length) hash.update(block.subarray(0, Math.min(block.length, left)));
  let sent = 0;
  const stream = new Readable({
    read() {
      if (sent >= size) {
        this.push(null);
        return;
      }
      const n = Math.min(block.length, size - sent);
      sent += n;
      this.push(block.subarray(0, n));
    },
  });
  return { stream, hash: hash.digest('hex') };
}

export async function hashOf(stream: AsyncIterable<Uint8Array>): Promise<{ hash: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of stream) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { hash: hash.digest('hex'), size };
}
