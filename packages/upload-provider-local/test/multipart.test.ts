import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import { boundaryOf, MultipartError, type PartInfo, parseMultipart } from '../src/multipart.js';
import { multipartBody } from './helpers.js';

function chunked(body: Buffer, size: number): Readable {
  const chunks: Buffer[] = [];
  for (let i = 0; i < body.length; i += size) chunks.push(body.subarray(i, i + size));
  return Readable.from(chunks);
}

async function parse(source: Readable, boundary: string) {
  const fields: Array<[string, string]> = [];
  let file: { info: PartInfo; bytes: Buffer } | undefined;
  const result = await parseMultipart(source, boundary, {
    field: (name, value) => void fields.push([name, value]),
    async file(info, stream) {
      const parts: Buffer[] = [];
      for await (const c of stream) parts.push(c as Buffer);
      file = { info, bytes: Buffer.concat(parts) };
    },
  });
  return { fields, file, result };
}

const BOUNDARY = 'XyZ-boundary-0123';

describe('boundaryOf', () => {
  it('reads plain and quoted boundaries of multipart/form-data only', () => {
    expect(boundaryOf('multipart/form-data; boundary=abc')).toBe('abc');
    expect(boundaryOf('Multipart/Form-Data; charset=utf-8; boundary="a b:c"')).toBe('a b:c');
    expect(boundaryOf('multipart/mixed; boundary=abc')).toBeNull();
    expect(boundaryOf('multipart/form-data')).toBeNull();
    expect(boundaryOf(undefined)).toBeNull();
  });
});

describe('parseMultipart', () => {
  // A file whose bytes contain near-misses of the delimiter: the parser must not cut there.
  const tricky = Buffer.concat([
    Buffer.from(`\r\n--${BOUNDARY.slice(0, -1)}X\r\n`),
    randomBytes(3000),
    Buffer.from(`\r\n-${BOUNDARY}\r\n--`),
    Buffer.from('\r\n'),
  ]);
  const { body } = multipartBody(
    [
      { name: 'key', value: 'a/b.txt' },
      { name: 'note', value: 'ünïcödé ✓' },
      { name: 'file', value: tricky, filename: 'na\\"me.bin', type: 'application/x-test' },
    ],
    BOUNDARY,
  );

  it('finds every field and the exact file bytes whatever the chunk sizes', async () => {
    for (const size of [1, 2, 3, 5, 17, 64, 1000, body.length]) {
      const { fields, file, result } = await parse(chunked(body, size), BOUNDARY);
      expect(result.file).toBe(true);
      expect(fields).toEqual([
        ['key', 'a/b.txt'],
        ['note', 'ünïcödé ✓'],
      ]);
      expect(file?.info).toEqual({ name: 'file', filename: 'na"me.bin', contentType: 'application/x-test' });
      expect(file?.bytes.equals(tricky)).toBe(true);
    }
  });

  it('skips a preamble and defaults a file part without a type to application/octet-stream', async () => {
    const raw = Buffer.from(
      `ignored preamble\r\n--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="x"\r\n\r\nabc\r\n--${BOUNDARY}--\r\n`,
    );
    const { file } = await parse(chunked(raw, 4), BOUNDARY);
    expect(file?.info.contentType).toBe('application/octet-stream');
    expect(file?.bytes.toString()).toBe('abc');
  });

  it('reports a form without a file', async () => {
    const raw = multipartBody([{ name: 'a', value: '1' }], BOUNDARY).body;
    const { fields, result } = await parse(chunked(raw, 7), BOUNDARY);
    expect(result.file).toBe(false);
    expect(fields).toEqual([['a', '1']]);
  });

  it('refuses a body that ends inside the file, and the file stream fails with it', async () => {
    let consumerError: unknown;
    const promise = parseMultipart(chunked(body.subarray(0, body.length - 40), 100), BOUNDARY, {
      field: () => undefined,
      async file(_info, stream) {
        try {
          for await (const _ of stream);
        } catch (error) {
          consumerError = error;
          throw error;
        }
      },
    });
    await expect(promise).rejects.toThrow(/ended early/);
    expect(consumerError).toBeInstanceOf(Error);
  });

  it('refuses parts without a name, malformed headers, and missing boundaries', async () => {
    const noName = Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data\r\n\r\nx\r\n--${BOUNDARY}--`);
    await expect(parse(chunked(noName, 9), BOUNDARY)).rejects.toThrow(/no Content-Disposition name/);
    const badHeader = Buffer.from(`--${BOUNDARY}\r\nnonsense\r\n\r\nx\r\n--${BOUNDARY}--`);
    await expect(parse(chunked(badHeader, 9), BOUNDARY)).rejects.toThrow(/malformed header/);
    await expect(parse(chunked(Buffer.from('no boundary at all'), 4), BOUNDARY)).rejects.toBeInstanceOf(MultipartError);
  });

  it('stops at once when the file handler refuses the file, without reading the rest', async () => {
    let pulled = 0;
    const big = multipartBody([{ name: 'file', value: randomBytes(1 << 20), filename: 'f' }], BOUNDARY).body;
    const source = Readable.from(
      (function* () {
        for (let i = 0; i < big.length; i += 1024) {
          pulled += 1024;
          yield big.subarray(i, i + 1024);
        }
      })(),
    );
    await expect(
      parseMultipart(source, BOUNDARY, {
        field: () => undefined,
        file: async () => {
          throw new Error('not this file');
        },
      }),
    ).rejects.toThrow('not this file');
    // Back-pressure: the parser stopped long before the end of the 1 MiB body.
    expect(pulled).toBeLessThan(big.length);
  });
});
