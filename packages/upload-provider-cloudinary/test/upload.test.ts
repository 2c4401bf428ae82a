import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, test } from '@jest/globals';
import { isProviderError, type ProviderError } from 'upload-provider';
import { generated, hashOf, mp4, PNG, sha256 } from './support/bytes.js';
import { API_SECRET, useTestCloud } from './support/setup.js';

const cloud = useTestCloud({ maxFileBytes: 40 * 1024 * 1024 });
const MiB = 1024 * 1024;

async function rejection(promise: Promise<unknown>): Promise<ProviderError> {
  try {
    await promise;
  } catch (e) {
    if (isProviderError(e)) return e;
    throw e;
  }
  throw new Error('it resolved');
}

const uniq = () => randomBytes(6).toString('hex');

describe('upload', () => {
  test('an image is stored as an image resource, without its extension, and its metadata locates it', async () => {
    const p = cloud.make({ folder: 'site', tags: ['avatars'], context: { team: 'a' } });
    const key = `u/${uniq()}/cat.png`;
    const stored = await p.upload({
      key,
      body: PNG,
      mime: 'image/png',
      name: 'cat.png',
      metadata: { owner: 'ann|b=c', 'bad=key': 'x' },
    });
    expect(stored.key).toBe(key);
    expect(stored.size).toBe(PNG.length);
    expect(stored.providerMetadata).toMatchObject({
      public_id: `site/${key.slice(0, -4)}`,
      resource_type: 'image',
      type: 'upload',
      format: 'png',
    });
    const asset = cloud.server.find('image', 'upload', `site/${key.slice(0, -4)}`);
    expect(asset?.tags).toEqual(['avatars']);
    // Values are escaped by the SDK; a key with "=" cannot be sent and is left out.
    expect(asset?.context).toBe('team=a|owner=ann\\|b\\=c');
    expect(stored.url).toBe(
      `http://${cloud.server.deliveryHost}/demo-cloud/image/upload/v${asset?.version}/site/${key.slice(0, -4)}.png`,
    );
    const res = await fetch(stored.url);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await res.arrayBuffer())).toEqual(PNG);
    expect(await p.stat(stored)).toMatchObject({ key, size: PNG.length, mime: 'image/png' });
    await p.delete(stored);
    expect(cloud.server.find('image', 'upload', `site/${key.slice(0, -4)}`)).toBeUndefined();
  });

  test('video and audio are video resources', async () => {
    const p = cloud.make();
    const clip = mp4(10_000);
    const stored = await p.upload({ key: `u/${uniq()}/clip.mp4`, body: clip, mime: 'video/mp4', name: 'clip.mp4' });
    expect(stored.providerMetadata).toMatchObject({ resource_type: 'video', format: 'mp4' });
    const song = Buffer.concat([Buffer.from('ID3\u0004\u0000'), randomBytes(5000)]);
    const audio = await p.upload({ key: `u/${uniq()}/song.mp3`, body: song, mime: 'audio/mpeg', name: 'song.mp3' });
    expect(audio.providerMetadata).toMatchObject({ resource_type: 'video', format: 'mp3' });
    expect((await hashOf(await p.read(audio))).hash).toBe(sha256(song));
  });

  test('bytes that only claim to be an image are stored raw, keeping the extension', async () => {
    const p = cloud.make();
    const key = `u/${uniq()}/fake.png`;
    const bytes = randomBytes(3000);
    const stored = await p.upload({ key, body: bytes, mime: 'image/png', name: 'fake.png' });
    expect(stored.providerMetadata).toMatchObject({ resource_type: 'raw', public_id: key });
    // Without metadata the provider still finds it (image first, then video, then raw).
    expect((await p.stat({ key }))?.size).toBe(3000);
    await p.delete({ key });
    expect(await p.stat({ key })).toBeNull();
  });

  test('a file larger than the chunk size goes up in chunks with Content-Range and comes back whole', async () => {
    const p = cloud.make({ chunkSize: 5 * MiB });
    const size = 12 * MiB + 123;
    const { stream, hash } = generated(size);
    const before = cloud.server.chunkRanges.length;
    const stored = await p.upload({
      key: `u/${uniq()}/big.bin`,
      body: stream,
      size,
      mime: 'application/octet-stream',
      name: 'big.bin',
    });
    expect(cloud.server.chunkRanges.slice(before)).toEqual([
      `bytes 0-${5 * MiB - 1}/-1`,
      `bytes ${5 * MiB}-${10 * MiB - 1}/-1`,
      `bytes ${10 * MiB}-${size - 1}/${size}`,
    ]);
    expect(stored.size).toBe(size);
    expect(await hashOf(await p.read(stored))).toEqual({ hash, size });
  });

  test('a stream of unknown size is chunked too, and a multiple of the chunk size ends cleanly', async () => {
    const p = cloud.make({ chunkSize: 5 * MiB });
    const size = 10 * MiB;
    const { stream, hash } = generated(size);
    const before = cloud.server.chunkRanges.length;
    const stored = await p.upload({
      key: `u/${uniq()}/unknown.bin`,
      body: stream,
      mime: 'application/octet-stream',
      name: 'x',
    });
    expect(cloud.server.chunkRanges.slice(before)).toEqual([
      `bytes 0-${5 * MiB - 1}/-1`,
      `bytes ${5 * MiB}-${size - 1}/${size}`,
    ]);
    expect(await hashOf(await p.read(stored))).toEqual({ hash, size });
  });

  test('a chunked body shorter than declared fails with INTEGRITY and stores nothing', async () => {
    const p = cloud.make({ chunkSize: 5 * MiB });
    const key = `u/${uniq()}/short.bin`;
    const { stream } = generated(7 * MiB);
    const e = await rejection(
      p.upload({ key, body: stream, size: 8 * MiB, mime: 'application/octet-stream', name: 'x' }),
    );
    expect(e.code).toBe('INTEGRITY');
    expect(await p.stat({ key })).toBeNull();
  });

  test('a chunked body longer than declared fails with TOO_LARGE as soon as it overflows', async () => {
    const p = cloud.make({ chunkSize: 5 * MiB });
    const key = `u/${uniq()}/long.bin`;
    const { stream } = generated(9 * MiB);
    const e = await rejection(
      p.upload({ key, body: stream, size: 6 * MiB, mime: 'application/octet-stream', name: 'x' }),
    );
    expect(e.code).toBe('TOO_LARGE');
    expect(await p.stat({ key })).toBeNull();
  });

  test('aborting a chunked upload rejects with ABORTED and stores nothing', async () => {
    const p = cloud.make({ chunkSize: 5 * MiB });
    const key = `u/${uniq()}/aborted.bin`;
    const controller = new AbortController();
    const { stream } = generated(30 * MiB);
    let seen = 0;
    stream.on('data', (c: Buffer) => {
      seen += c.length;
      if (seen > 7 * MiB) controller.abort();
    });
    const e = await rejection(
      p.upload(
        { key, body: stream, size: 30 * MiB, mime: 'application/octet-stream', name: 'x' },
        { signal: controller.signal },
      ),
    );
    expect(e.code).toBe('ABORTED');
    expect(await p.stat({ key })).toBeNull();
  });

  test('when Cloudinary stores a different number of bytes than were sent, the upload fails with INTEGRITY and is removed', async () => {
    const p = cloud.make();
    const key = `u/${uniq()}/short-stored.bin`;
    cloud.server.truncateNext = true;
    const e = await rejection(p.upload({ key, body: randomBytes(5000), mime: 'application/octet-stream', name: 'x' }));
    expect(e.code).toBe('INTEGRITY');
    expect(e.message).toMatch(/stored 4999 bytes but 5000 were sent/);
    expect(cloud.server.find('raw', 'upload', key)).toBeUndefined();
  });

  test('an empty file is refused before any request: Cloudinary does not store empty files', async () => {
    const p = cloud.make();
    const before = cloud.server.requests.length;
    const e = await rejection(
      p.upload({ key: `u/${uniq()}/empty.txt`, body: new Uint8Array(0), mime: 'text/plain', name: 'e' }),
    );
    expect(e.code).toBe('INVALID_INPUT');
    expect(e.message).toMatch(/empty files/);
    const s = await rejection(
      p.upload({ key: `u/${uniq()}/empty.txt`, body: Readable.from([]), mime: 'text/plain', name: 'e' }),
    );
    expect(s.code).toBe('INVALID_INPUT');
    expect(cloud.server.requests.length).toBe(before);
  });

  test("a file over the plan's limit fails with TOO_LARGE", async () => {
    const p = cloud.make({ chunkSize: 50_000_000 });
    const { stream } = generated(41 * MiB);
    const e = await rejection(
      p.upload({
        key: `u/${uniq()}/huge.bin`,
        body: stream,
        size: 41 * MiB,
        mime: 'application/octet-stream',
        name: 'x',
      }),
    );
    expect(e.code).toBe('TOO_LARGE');
    expect(e.message).toMatch(/File size too large/);
  });

  test('bad input is refused with INVALID_INPUT', async () => {
    const p = cloud.make();
    expect(
      (await rejection(p.upload({ key: '../x.txt', body: Buffer.from('x'), mime: 'text/plain', name: 'x' }))).code,
    ).toBe('INVALID_INPUT');
    expect(
      (await rejection(p.upload({ key: 'a.txt', body: Buffer.from('x'), mime: 'nonsense', name: 'x' }))).code,
    ).toBe('INVALID_INPUT');
    expect(
      (await rejection(p.upload({ key: 'a.txt', body: Buffer.from('x'), size: -1, mime: 'text/plain', name: 'x' })))
        .code,
    ).toBe('INVALID_INPUT');
    expect(
      (await rejection(p.upload({ key: 'a.txt', body: Buffer.from('xy'), size: 1, mime: 'text/plain', name: 'x' })))
        .code,
    ).toBe('INTEGRITY');
  });
});

describe('delete and read', () => {
  test('delete uses the recorded resource type and delivery type, asks for CDN invalidation, and is idempotent', async () => {
    const p = cloud.make({ delivery: 'authenticated', invalidate: true });
    const stored = await p.upload({ key: `u/${uniq()}/cat.png`, body: PNG, mime: 'image/png', name: 'cat.png' });
    const before = cloud.server.destroys.length;
    await p.delete(stored);
    await p.delete(stored);
    const calls = cloud.server.destroys.slice(before);
    expect(calls).toHaveLength(2);
    expect(calls[0]).toMatchObject({
      public_id: (stored.providerMetadata as { public_id: string }).public_id,
      type: 'authenticated',
      invalidate: 'true',
    });
    expect(cloud.server.requests.filter((r) => r.endsWith('/destroy')).slice(-2)).toEqual([
      `POST /v1_1/demo-cloud/image/destroy`,
      `POST /v1_1/demo-cloud/image/destroy`,
    ]);
  });

  test('a range is cut out of the stream when the server sends the whole file', async () => {
    const p = cloud.make();
    const bytes = randomBytes(200_000);
    const stored = await p.upload({
      key: `u/${uniq()}/r.bin`,
      body: bytes,
      mime: 'application/octet-stream',
      name: 'r',
    });
    cloud.server.ignoreRanges = true;
    try {
      expect((await hashOf(await p.read(stored, { start: 70_000, end: 150_001 }))).hash).toBe(
        sha256(bytes.subarray(70_000, 150_002)),
      );
      expect((await hashOf(await p.read(stored, { start: 199_990 }))).hash).toBe(sha256(bytes.subarray(199_990)));
      expect((await rejection(p.read(stored, { start: 200_000 }))).code).toBe('INVALID_INPUT');
    } finally {
      cloud.server.ignoreRanges = false;
    }
  });
});

describe('errors', () => {
  test('a wrong API secret is ACCESS_DENIED everywhere, and no error carries the secret', async () => {
    const p = cloud.make({ apiSecret: 'not-the-secret' });
    const key = `u/${uniq()}/denied.txt`;
    const errors = [
      await rejection(p.upload({ key, body: Buffer.from('x'), mime: 'text/plain', name: 'x' })),
      await rejection(p.delete({ key })),
      await rejection(p.stat({ key })),
    ];
    for (const e of errors) {
      expect(e.code).toBe('ACCESS_DENIED');
      expect(e.retryable).toBe(false);
      const everything = `${e.message} ${JSON.stringify(e.cause)} ${String(e.cause)} ${JSON.stringify(e.details)}`;
      expect(everything).not.toContain('not-the-secret');
      expect(everything).not.toContain(API_SECRET);
    }
    expect(errors[0]?.message).toMatch(/Invalid Signature/);
  });

  test('rate limits and server errors are retryable UNAVAILABLE', async () => {
    const p = cloud.make();
    cloud.server.failNext(/POST .*\/upload$/, 420, 'Rate Limit Exceeded');
    const limited = await rejection(
      p.upload({ key: `u/${uniq()}/a.txt`, body: Buffer.from('x'), mime: 'text/plain', name: 'x' }),
    );
    expect([limited.code, limited.retryable]).toEqual(['UNAVAILABLE', true]);
    cloud.server.failNext(/POST .*\/destroy$/, 500, 'General Error');
    const failed = await rejection(p.delete({ key: `u/${uniq()}/a.txt` }));
    expect([failed.code, failed.retryable]).toEqual(['UNAVAILABLE', true]);
    cloud.server.failNext(/GET .*\/resources\//, 429, 'Too many requests');
    expect((await rejection(p.stat({ key: `u/${uniq()}/a.txt` }))).code).toBe('UNAVAILABLE');
  });

  test('an unreachable API is UNAVAILABLE', async () => {
    const p = cloud.make({ apiUrl: 'http://127.0.0.1:9' });
    const e = await rejection(
      p.upload({ key: `u/${uniq()}/a.txt`, body: Buffer.from('x'), mime: 'text/plain', name: 'x' }),
    );
    expect(e.code).toBe('UNAVAILABLE');
    expect((await rejection(p.delete({ key: 'a.txt' }))).code).toBe('UNAVAILABLE');
  });

  test('read of a missing object is NOT_FOUND, and a range past the end INVALID_INPUT', async () => {
    const p = cloud.make({ delivery: 'private' });
    expect((await rejection(p.read({ key: `u/${uniq()}/none.txt` }))).code).toBe('NOT_FOUND');
    const stored = await p.upload({
      key: `u/${uniq()}/r.txt`,
      body: Buffer.from('0123456789'),
      mime: 'text/plain',
      name: 'r',
    });
    expect((await rejection(p.read(stored, { start: 10 }))).code).toBe('INVALID_INPUT');
    expect((await hashOf(await p.read(stored, { start: 2, end: 4 }))).hash).toBe(sha256(Buffer.from('234')));
  });
});
