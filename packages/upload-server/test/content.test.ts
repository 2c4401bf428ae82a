import { PassThrough, Readable } from 'node:stream';
import { describe, expect, test } from '@jest/globals';
import sharp from 'sharp';
import { checkMime, isInlineSafe, resolveMime, SNIFF_BYTES, sniffStream } from '../src/content/index.js';

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** A stream of `bytes` in chunks of `chunkSize`, as a socket would deliver them. */
function chunked(bytes: Buffer, chunkSize = 1000): Readable {
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += chunkSize) chunks.push(bytes.subarray(i, i + chunkSize));
  return Readable.from(chunks, { objectMode: false });
}

async function sniffBytes(bytes: Buffer, chunkSize?: number) {
  const result = await sniffStream(chunked(bytes, chunkSize));
  const replayed = await collect(result.stream);
  return { mime: result.mime, ext: result.ext, replayed };
}

const raw = { width: 64, height: 48, channels: 3 as const, background: { r: 200, g: 30, b: 90 } };
const image = () => sharp({ create: raw });

/** A minimal ZIP: one stored entry's local file header, its data, the central directory and its end record. */
function zipBytes(name: string, data: string): Buffer {
  const fileName = Buffer.from(name);
  const body = Buffer.from(data);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(10, 4);
  local.writeUInt32LE(body.length, 18);
  local.writeUInt32LE(body.length, 22);
  local.writeUInt16LE(fileName.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(10, 6);
  central.writeUInt32LE(body.length, 20);
  central.writeUInt32LE(body.length, 24);
  central.writeUInt16LE(fileName.length, 28);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(46 + fileName.length, 12);
  end.writeUInt32LE(30 + fileName.length + body.length, 16);
  return Buffer.concat([local, fileName, body, central, fileName, end]);
}

const pdf = Buffer.from(
  '%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n' +
    'trailer << /Root 1 0 R >>\n%%EOF\n',
  'latin1',
);

describe('sniffStream: magic numbers', () => {
  const cases: Array<[string, () => Promise<Buffer>, string, string]> = [
    ['PNG', () => image().png().toBuffer(), 'image/png', 'png'],
    ['JPEG', () => image().jpeg().toBuffer(), 'image/jpeg', 'jpg'],
    ['WebP', () => image().webp().toBuffer(), 'image/webp', 'webp'],
    ['GIF', () => image().gif().toBuffer(), 'image/gif', 'gif'],
    ['AVIF', () => image().avif().toBuffer(), 'image/avif', 'avif'],
    ['TIFF', () => image().tiff().toBuffer(), 'image/tiff', 'tif'],
    ['PDF', async () => pdf, 'application/pdf', 'pdf'],
    ['ZIP', async () => zipBytes('hello.txt', 'hello'), 'application/zip', 'zip'],
    ['gzip', async () => Buffer.from([0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3]), 'application/gzip', 'gz'],
  ];
  test.each(cases)('%s is recognised and replayed byte for byte', async (_label, make, mime, ext) => {
    const bytes = await make();
    const result = await sniffBytes(bytes, 7);
    expect(result.mime).toBe(mime);
    expect(result.ext).toBe(ext);
    expect(result.replayed.equals(bytes)).toBe(true);
  });

  test('a PNG larger than the head is recognised from the head and replayed whole', async () => {
    const bytes = await sharp({ create: { width: 600, height: 400, channels: 3, background: '#123456' } })
      .png({ compressionLevel: 0 })
      .toBuffer();
    expect(bytes.length).toBeGreaterThan(SNIFF_BYTES * 10);
    const result = await sniffBytes(bytes, 16 * 1024);
    expect(result.mime).toBe('image/png');
    expect(result.replayed.equals(bytes)).toBe(true);
  });
});

describe('sniffStream: text heuristics', () => {
  const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>';
  const cases: Array<[string, string | Buffer, string]> = [
    ['bare SVG', svg, 'image/svg+xml'],
    ['SVG after an XML prolog', `<?xml version="1.0" encoding="UTF-8"?>\n${svg}`, 'image/svg+xml'],
    [
      'SVG after prolog, comment and doctype with an internal subset',
      `<?xml version="1.0"?>\n<!-- made by hand -->\n<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "x.dtd" [ <!ENTITY a "b>"> ]>\n${svg}`,
      'image/svg+xml',
    ],
    ['SVG with a UTF-8 BOM', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(svg)]), 'image/svg+xml'],
    [
      'SVG in UTF-16LE with a BOM',
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(svg, 'utf16le')]),
      'image/svg+xml',
    ],
    ['SVG with a namespace prefix', '<svg:svg xmlns:svg="http://www.w3.org/2000/svg"></svg:svg>', 'image/svg+xml'],
    ['SVG after a leading comment', `<!-- logo -->\n${svg}`, 'image/svg+xml'],
    ['HTML with a doctype', '<!DOCTYPE html><html><body>hi</body></html>', 'text/html'],
    ['HTML fragment', '  <script>alert(1)</script>', 'text/html'],
    ['HTML in capitals', '<HTML><BODY>x</BODY></HTML>', 'text/html'],
    ['HTML opening with a comment', '<!-- x --><div>hi</div>', 'text/html'],
    [
      'XHTML with an XML prolog',
      '<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"></html>',
      'text/html',
    ],
    ['plain XML', '<?xml version="1.0"?><note><to>Tove</to></note>', 'application/xml'],
    ['XML without a prolog', '<catalog><book id="1"/></catalog>', 'application/xml'],
    ['XML that carries a script element', '<?xml version="1.0"?><x><script>alert(1)</script></x>', 'text/html'],
    ['JSON object', '{"name": "cat", "tags": ["a", "b"]}', 'application/json'],
    ['JSON array', '[1, 2, 3]', 'application/json'],
    ['broken JSON', '{"name": ', 'text/plain'],
    ['CSV', 'name,size,mime\ncat.png,12,image/png\ndog.png,13,image/png\n', 'text/csv'],
    ['CSV with quoted commas', 'a,b\n"x, y",2\n"z",3\n', 'text/csv'],
    ['plain text', 'Dear reader,\nthis is a letter.\nRegards\n', 'text/plain'],
    ['UTF-8 text', 'Grüße aus Köln — 東京 ✓\n', 'text/plain'],
    ['whitespace only', '   \n\t\n', 'text/plain'],
  ];
  test.each(cases)('%s', async (_label, content, mime) => {
    const bytes = typeof content === 'string' ? Buffer.from(content) : content;
    const result = await sniffBytes(bytes, 5);
    expect(result.mime).toBe(mime);
    expect(result.replayed.equals(bytes)).toBe(true);
  });

  test('an SVG whose root element comes after 3 KiB of comments is still SVG', async () => {
    const bytes = Buffer.from(
      `<?xml version="1.0"?>\n<!-- ${'x'.repeat(3000)} -->\n<svg xmlns="http://www.w3.org/2000/svg"/>`,
    );
    expect((await sniffBytes(bytes)).mime).toBe('image/svg+xml');
  });

  test('a long UTF-8 text whose head cuts a multi-byte character is still text', async () => {
    // 4099 ASCII bytes then a 3-byte character: the head ends in the middle of it.
    const bytes = Buffer.from(`${'a'.repeat(SNIFF_BYTES - 1)}€ and more text after it\n`.repeat(3));
    const result = await sniffBytes(bytes, 1024);
    expect(result.mime).toBe('text/plain');
    expect(result.replayed.equals(bytes)).toBe(true);
  });

  test('a long JSON array is JSON from its head alone', async () => {
    const bytes = Buffer.from(JSON.stringify(Array.from({ length: 2000 }, (_, i) => ({ id: i, name: `n${i}` }))));
    expect(bytes.length).toBeGreaterThan(SNIFF_BYTES);
    expect((await sniffBytes(bytes, 512)).mime).toBe('application/json');
  });
});

describe('sniffStream: binary, empty, short, polyglot and disguised bodies', () => {
  test('an empty body is application/octet-stream and replays as empty', async () => {
    const result = await sniffBytes(Buffer.alloc(0));
    expect(result).toEqual({ mime: 'application/octet-stream', ext: null, replayed: Buffer.alloc(0) });
  });

  test('a stream that ends without a chunk is handled like an empty body', async () => {
    const result = await sniffStream(Readable.from([], { objectMode: false }));
    expect(result.mime).toBe('application/octet-stream');
    expect((await collect(result.stream)).length).toBe(0);
  });

  test('random bytes are application/octet-stream', async () => {
    // A fixed pseudo-random sequence (no magic number, plenty of control bytes).
    const bytes = Buffer.alloc(10_000);
    let x = 12345;
    for (let i = 0; i < bytes.length; i++) {
      x = (x * 1103515245 + 12345) & 0x7fffffff;
      bytes[i] = x >> 16;
    }
    const result = await sniffBytes(bytes, 3000);
    expect(result.mime).toBe('application/octet-stream');
    expect(result.ext).toBeNull();
    expect(result.replayed.equals(bytes)).toBe(true);
  });

  test('a body shorter than the head (3 bytes) is read whole', async () => {
    const result = await sniffBytes(Buffer.from('abc'));
    expect(result.mime).toBe('text/plain');
    expect(result.replayed.toString()).toBe('abc');
  });

  test('a truncated PNG signature is not a PNG', async () => {
    const result = await sniffBytes(Buffer.from([0x89, 0x50, 0x4e, 0x47]));
    expect(result.mime).toBe('application/octet-stream');
  });

  test('a PNG with HTML appended (a polyglot) is a PNG: the magic number decides', async () => {
    const png = await image().png().toBuffer();
    const bytes = Buffer.concat([png, Buffer.from('<html><script>alert(1)</script></html>')]);
    expect((await sniffBytes(bytes)).mime).toBe('image/png');
  });

  test('HTML with PNG bytes embedded later is HTML', async () => {
    const png = await image().png().toBuffer();
    const bytes = Buffer.concat([Buffer.from('<html><body>'), png, Buffer.from('</body></html>')]);
    expect((await sniffBytes(bytes)).mime).not.toBe('image/png');
  });

  test('HTML saved as photo.png is HTML whatever its name or claim', async () => {
    const result = await sniffBytes(Buffer.from('<!doctype html><img src=x onerror=alert(1)>'));
    expect(result.mime).toBe('text/html');
    expect(checkMime(result.mime, 'image/png')).toEqual({ ok: true, mime: 'text/html' });
    expect(checkMime(result.mime, 'image/png', { allowed: ['image/*'] })).toMatchObject({ ok: false, status: 415 });
  });

  test('a JPEG renamed to .png is recorded as JPEG', async () => {
    const result = await sniffBytes(await image().jpeg().toBuffer());
    expect(checkMime(result.mime, 'image/png')).toEqual({ ok: true, mime: 'image/jpeg' });
  });
});

describe('sniffStream: streaming', () => {
  test('memory does not grow with the body: bytes pulled from the source stay a bounded step ahead', async () => {
    const chunkSize = 64 * 1024;
    const total = 64 * 1024 * 1024;
    let produced = 0;
    let maxAhead = 0;
    let consumed = 0;
    const source = new Readable({
      highWaterMark: chunkSize,
      read() {
        if (produced >= total) {
          this.push(null);
          return;
        }
        const chunk = Buffer.alloc(chunkSize, produced === 0 ? 0x00 : 0x41);
        produced += chunk.length;
        this.push(chunk);
      },
    });
    const result = await sniffStream(source);
    for await (const chunk of result.stream) {
      consumed += (chunk as Buffer).length;
      maxAhead = Math.max(maxAhead, produced - consumed);
      // A slow consumer: the source must wait for it rather than fill memory.
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(consumed).toBe(total);
    // What the source produced beyond what the consumer took is a few stream buffers, not the body.
    expect(maxAhead).toBeLessThanOrEqual(8 * chunkSize);
    expect(result.headBytes).toBeLessThanOrEqual(SNIFF_BYTES + chunkSize);
  });

  test('a body that arrives in one chunk larger than the head, then ends, is replayed whole', async () => {
    for (const size of [SNIFF_BYTES, SNIFF_BYTES + 100, 64 * 1024]) {
      const bytes = Buffer.alloc(size, 0x41);
      const source = new PassThrough();
      source.end(bytes);
      const result = await sniffStream(source);
      expect((await collect(result.stream)).equals(bytes)).toBe(true);
    }
  });

  test('an error from the source after the head reaches the consumer of the replayed stream', async () => {
    let sent = 0;
    const source = new Readable({
      read() {
        sent++;
        if (sent < 4) this.push(Buffer.alloc(8192, 0x61));
        else this.destroy(new Error('connection reset'));
      },
    });
    const result = await sniffStream(source);
    await expect(collect(result.stream)).rejects.toThrow('connection reset');
  });

  test('an error before the head is read rejects sniffStream', async () => {
    const source = new Readable({
      read() {
        this.destroy(new Error('boom'));
      },
    });
    await expect(sniffStream(source)).rejects.toThrow('boom');
  });

  test('a source already destroyed (a client gone before the upload was read) rejects instead of hanging', async () => {
    const source = new Readable({ read() {} });
    source.on('error', () => {}); // its owner (the HTTP request) listens for errors
    source.destroy(new Error('client went away'));
    await new Promise((resolve) => setImmediate(resolve));
    await expect(sniffStream(source)).rejects.toThrow('client went away');
    const closed = new Readable({ read() {} });
    closed.destroy();
    await new Promise((resolve) => setImmediate(resolve));
    await expect(sniffStream(closed)).rejects.toThrow('closed before it was read');
  });

  test('a source destroyed while the head is read rejects instead of hanging', async () => {
    const source = new Readable({ read() {} });
    source.push(Buffer.from('abc'));
    const sniffing = sniffStream(source);
    setImmediate(() => source.destroy());
    await expect(sniffing).rejects.toThrow('closed before it ended');
  });

  test('destroying the replayed stream releases the source', async () => {
    const source = new Readable({
      read() {
        this.push(Buffer.alloc(8192, 0x61));
      },
    });
    const result = await sniffStream(source);
    result.stream.destroy();
    await new Promise((resolve) => setImmediate(resolve));
    expect(source.destroyed).toBe(true);
  });
});

describe('checkMime', () => {
  test('patterns: exact, family, everything; the deny list wins', () => {
    expect(checkMime('image/png', undefined, { allowed: ['image/*'] })).toEqual({ ok: true, mime: 'image/png' });
    expect(checkMime('image/png', undefined, { allowed: ['image/png'] })).toEqual({ ok: true, mime: 'image/png' });
    expect(checkMime('image/png', undefined, { allowed: ['*/*'] })).toEqual({ ok: true, mime: 'image/png' });
    expect(checkMime('image/png', undefined, { allowed: ['image/*'], denied: ['image/png'] })).toMatchObject({
      ok: false,
      status: 415,
    });
    expect(checkMime('image/svg+xml', undefined, { denied: ['IMAGE/SVG+XML'] })).toMatchObject({ ok: false });
    expect(checkMime('application/pdf', undefined, { allowed: ['image/*', 'video/*'] })).toEqual({
      ok: false,
      status: 415,
      message: 'files of type application/pdf are not accepted; accepted types: image/*, video/*',
    });
  });

  test('no lists accept everything', () => {
    expect(checkMime('application/zip', 'application/zip')).toEqual({ ok: true, mime: 'application/zip' });
  });

  test('the message names the claimed type when the bytes contradict it', () => {
    const result = checkMime('text/html', 'image/png', { allowed: ['image/*'] });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toContain('sent as image/png, but its content is text/html');
  });

  test('a denied type cannot slip through by being claimed as something else', () => {
    expect(checkMime('image/svg+xml', 'image/png', { denied: ['image/svg+xml'] })).toMatchObject({ ok: false });
  });

  test('a claim refines only a generic detection, never into a scriptable or detectable type', () => {
    expect(resolveMime('text/plain', 'text/markdown')).toBe('text/markdown');
    expect(resolveMime('text/plain', 'text/csv; charset=utf-8')).toBe('text/csv');
    expect(resolveMime('application/octet-stream', 'application/vnd.example.data')).toBe(
      'application/vnd.example.data',
    );
    expect(resolveMime('application/octet-stream', 'application/vnd.example+xml')).toBe('application/octet-stream');
    expect(resolveMime('application/octet-stream', 'application/pdf')).toBe('application/octet-stream');
    expect(resolveMime('text/plain', 'text/html')).toBe('text/plain');
    expect(resolveMime('text/plain', 'application/javascript')).toBe('text/plain');
    expect(resolveMime('application/octet-stream', 'image/svg+xml')).toBe('application/octet-stream');
    expect(resolveMime('application/octet-stream', 'image/png')).toBe('application/octet-stream');
    expect(resolveMime('text/plain', 'application/zip')).toBe('text/plain');
    expect(resolveMime('image/png', 'image/jpeg')).toBe('image/png');
    expect(resolveMime('application/octet-stream', 'not a type')).toBe('application/octet-stream');
  });
});

describe('isInlineSafe', () => {
  test.each([
    ['image/png', true],
    ['image/jpeg', true],
    ['IMAGE/WEBP; q=1', true],
    ['video/mp4', true],
    ['audio/mpeg', true],
    ['text/plain; charset=utf-8', true],
    ['image/svg+xml', false],
    ['text/html', false],
    ['application/xhtml+xml', false],
    ['application/xml', false],
    ['text/xml', false],
    ['text/javascript', false],
    ['application/javascript', false],
    ['application/pdf', false],
    ['application/octet-stream', false],
    ['', false],
  ])('%s → %s', (mime, safe) => {
    expect(isInlineSafe(mime)).toBe(safe);
  });
});
