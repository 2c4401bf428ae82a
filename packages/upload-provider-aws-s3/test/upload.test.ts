import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { contentDisposition, isProviderError, type ProviderError } from 'upload-provider';
import { hashStream, sha256 } from 'upload-provider-conformance';
import { type AwsS3Provider, type AwsS3ProviderOptions, awsS3Provider } from '../src/index.js';
import { failingStream, randomStream } from './support/bytes.js';
import { CREDENTIALS, type Emulator, REGION, startS3rver } from './support/emulator.js';
import { startRecordingProxy } from './support/proxy.js';

const MiB = 1024 * 1024;
const BUCKET = 'uploads';
let s3: Emulator;
let proxy: Awaited<ReturnType<typeof startRecordingProxy>>;
const open: AwsS3Provider[] = [];

beforeAll(async () => {
  s3 = await startS3rver([BUCKET]);
  proxy = await startRecordingProxy(s3.endpoint);
});
afterAll(async () => {
  await proxy.close();
  await s3.close();
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((p) => p.close()));
  proxy.requests.length = 0;
});

/** The provider with its own S3Client (default options), reaching s3rver through the recording proxy. */
function make(extra: Partial<AwsS3ProviderOptions> = {}): AwsS3Provider {
  const p = awsS3Provider({
    bucket: BUCKET,
    region: REGION,
    endpoint: proxy.endpoint,
    forcePathStyle: true,
    credentials: CREDENTIALS,
    partSize: 5 * MiB,
    queueSize: 2,
    ...extra,
  });
  open.push(p);
  return p;
}

const key = (name: string) => `upload-test/${randomBytes(6).toString('hex')}/${name}`;

async function rejection(promise: Promise<unknown>): Promise<ProviderError> {
  try {
    await promise;
  } catch (error) {
    if (isProviderError(error)) return error;
    throw new Error(`expected a ProviderError, got ${String(error)}`, { cause: error });
  }
  throw new Error('expected a rejection, but it resolved');
}

describe('streamed uploads', () => {
  test('a 12 MiB stream of unknown size goes through multipart and reads back byte for byte', async () => {
    const p = make();
    const { stream, expected } = randomStream(12 * MiB);
    const stored = await p.upload({
      key: key('big.bin'),
      body: stream,
      mime: 'application/octet-stream',
      name: 'big.bin',
    });
    expect(stored.size).toBe(12 * MiB);
    // 12 MiB in 5 MiB parts: create, three parts, complete.
    expect(proxy.matching('POST', /\?uploads/)).toHaveLength(1);
    expect(
      proxy
        .matching('PUT', /partNumber=/)
        .map((r) => Number(/partNumber=(\d+)/.exec(r.url)![1]))
        .sort(),
    ).toEqual([1, 2, 3]);
    expect(proxy.matching('POST', /uploadId=/)).toHaveLength(1);
    const back = await hashStream(await p.read(stored));
    expect(back).toEqual({ hash: await expected, size: 12 * MiB });
    // Public-by-URL on s3rver (it has no ACLs), so the plain URL serves the same bytes.
    const res = await fetch(stored.url);
    expect(await hashStream(res.body as unknown as AsyncIterable<Uint8Array>)).toEqual({
      hash: await expected,
      size: 12 * MiB,
    });
  });

  test('a stream with a declared size over one part is stored whole and reported with its size and etag', async () => {
    const p = make();
    const { stream, expected } = randomStream(6 * MiB + 123);
    const stored = await p.upload({
      key: key('sized.bin'),
      body: stream,
      size: 6 * MiB + 123,
      mime: 'application/octet-stream',
      name: 's.bin',
    });
    expect(stored).toMatchObject({ size: 6 * MiB + 123, mime: 'application/octet-stream' });
    expect(stored.etag).toMatch(/^[0-9a-f]{32}(-\d+)?$/);
    expect((await hashStream(await p.read(stored))).hash).toBe(await expected);
    expect((await p.stat(stored))?.size).toBe(6 * MiB + 123);
  });

  test('request bodies are plain bytes in the default checksum mode: no aws-chunked framing, no trailers', async () => {
    // s3rver would store aws-chunked framing as the object; the hash round trips above would catch that, and this
    // shows why they pass: the provider's own client sends no streaming-checksum headers at all.
    const p = make();
    const bytes = randomBytes(7 * MiB);
    await p.upload({
      key: key('plain.bin'),
      body: Readable.from([bytes]),
      size: bytes.byteLength,
      mime: 'application/octet-stream',
      name: 'p.bin',
    });
    await p.upload({
      key: key('small.bin'),
      body: Readable.from([bytes.subarray(0, 1000)]),
      mime: 'application/octet-stream',
      name: 'q.bin',
    });
    const bodies = proxy.matching('PUT');
    expect(bodies.length).toBe(3);
    for (const r of bodies) {
      expect(r.headers['content-encoding'] ?? '').not.toMatch(/aws-chunked/);
      expect(r.headers['x-amz-trailer']).toBeUndefined();
      expect(r.headers['x-amz-decoded-content-length']).toBeUndefined();
      expect(r.headers['x-amz-content-sha256'] ?? '').not.toMatch(/^STREAMING-/);
    }
  });

  test('bytes in memory upload too, and an empty body stores an empty object', async () => {
    const p = make();
    const bytes = randomBytes(3000);
    const a = await p.upload({ key: key('bytes.bin'), body: bytes, mime: 'application/octet-stream', name: 'b.bin' });
    expect((await hashStream(await p.read(a))).hash).toBe(sha256(bytes));
    const empty = await p.upload({
      key: key('empty.txt'),
      body: new Uint8Array(0),
      mime: 'text/plain',
      name: 'empty.txt',
    });
    expect(empty.size).toBe(0);
    expect(await p.stat(empty)).toMatchObject({ size: 0, mime: 'text/plain' });
  });
});

describe('failed uploads leave nothing', () => {
  test('an abort in the middle of a multipart upload rejects with ABORTED and aborts the multipart upload', async () => {
    const p = make();
    const k = key('aborted.bin');
    const controller = new AbortController();
    async function* generate() {
      yield randomBytes(6 * MiB); // more than a part: the multipart upload has begun
      yield randomBytes(1 * MiB);
      // Fire once part 1 is on its way, so the abort meets a multipart upload in progress.
      while (proxy.matching('PUT', /partNumber=1\b/).length === 0) await sleep(10);
      controller.abort();
      await sleep(1000);
      yield randomBytes(MiB);
    }
    const body = Readable.from(generate());
    const error = await rejection(
      p.upload(
        { key: k, body, size: 9 * MiB, mime: 'application/octet-stream', name: 'a.bin' },
        { signal: controller.signal },
      ),
    );
    expect(error.code).toBe('ABORTED');
    expect(await p.stat({ key: k })).toBeNull();
    // The multipart upload was created, never completed, then aborted by its id. s3rver neither lists pending
    // uploads nor implements AbortMultipartUpload (it answers 405), so the proxy's record is the proof here.
    const created = proxy.matching('POST', /\?uploads/);
    expect(created).toHaveLength(1);
    const aborts = proxy.matching('DELETE', /uploadId=/);
    expect(aborts).toHaveLength(1);
    const uploadIdOfPart = /uploadId=([^&]+)/.exec(proxy.matching('PUT', /partNumber=1\b/)[0]!.url)![1];
    expect(aborts[0]!.url).toContain(`uploadId=${uploadIdOfPart}`);
    expect(proxy.matching('POST', /uploadId=/)).toHaveLength(0);
    // The body is not read any further.
    expect(body.destroyed).toBe(true);
  });

  test('a signal that already fired refuses the upload before any request', async () => {
    const p = make();
    const error = await rejection(
      p.upload(
        { key: key('never.bin'), body: Buffer.from('x'), mime: 'text/plain', name: 'n.txt' },
        { signal: AbortSignal.abort() },
      ),
    );
    expect(error.code).toBe('ABORTED');
    expect(proxy.requests).toHaveLength(0);
  });

  test('a body shorter than declared is refused with INTEGRITY before S3 completes anything', async () => {
    const p = make();
    const k = key('short.bin');
    const { stream } = randomStream(5 * MiB + 500);
    const error = await rejection(
      p.upload({ key: k, body: stream, size: 6 * MiB, mime: 'application/octet-stream', name: 's.bin' }),
    );
    expect(error.code).toBe('INTEGRITY');
    expect(error.details).toMatchObject({ actual: 5 * MiB + 500, declared: 6 * MiB });
    expect(await p.stat({ key: k })).toBeNull();
    expect(proxy.matching('POST', /uploadId=/)).toHaveLength(0);
    expect(proxy.matching('DELETE', /uploadId=/)).toHaveLength(1);
  });

  test('a short upload over an existing key leaves the existing object as it was', async () => {
    const p = make();
    const k = key('kept.bin');
    const original = randomBytes(2000);
    await p.upload({ key: k, body: original, mime: 'application/octet-stream', name: 'k.bin' });
    const error = await rejection(
      p.upload({
        key: k,
        body: Readable.from([randomBytes(100)]),
        size: 2000,
        mime: 'application/octet-stream',
        name: 'k.bin',
      }),
    );
    expect(error.code).toBe('INTEGRITY');
    expect((await hashStream(await p.read({ key: k }))).hash).toBe(sha256(original));
  });

  test('a body longer than declared is cut off with TOO_LARGE', async () => {
    const p = make();
    const k = key('long.bin');
    const error = await rejection(
      p.upload({
        key: k,
        body: Readable.from([randomBytes(5000)]),
        size: 1000,
        mime: 'application/octet-stream',
        name: 'l.bin',
      }),
    );
    expect(error.code).toBe('TOO_LARGE');
    expect(await p.stat({ key: k })).toBeNull();
    expect(proxy.matching('PUT')).toHaveLength(0);
  });

  test('a body stream that fails is reported as INVALID_INPUT with its error as cause', async () => {
    const p = make();
    const k = key('broken.bin');
    const cause = new Error('client went away');
    const error = await rejection(
      p.upload({
        key: k,
        body: failingStream([randomBytes(1000)], cause),
        mime: 'application/octet-stream',
        name: 'b.bin',
      }),
    );
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.cause).toBe(cause);
    expect(await p.stat({ key: k })).toBeNull();
  });

  test('a declared size over S3’s 5 TiB object limit is refused before any request', async () => {
    const p = make();
    const error = await rejection(
      p.upload({
        key: key('huge.bin'),
        body: Readable.from([]),
        size: 6 * 1024 ** 4,
        mime: 'application/octet-stream',
        name: 'h.bin',
      }),
    );
    expect(error.code).toBe('TOO_LARGE');
    expect(proxy.requests).toHaveLength(0);
  });

  test('bad metadata and content types are refused with INVALID_INPUT before any request', async () => {
    const p = make();
    const base = { key: key('m.txt'), body: Buffer.from('x'), name: 'm.txt' };
    expect((await rejection(p.upload({ ...base, mime: 'text/plain', metadata: { note: 'naïve' } }))).code).toBe(
      'INVALID_INPUT',
    );
    expect((await rejection(p.upload({ ...base, mime: 'text/plain', metadata: { 'bad name': 'x' } }))).code).toBe(
      'INVALID_INPUT',
    );
    expect((await rejection(p.upload({ ...base, mime: 'text/plain', metadata: { big: 'x'.repeat(3000) } }))).code).toBe(
      'INVALID_INPUT',
    );
    expect((await rejection(p.upload({ ...base, mime: 'text/plain\r\nx-amz-acl: public-read' }))).code).toBe(
      'INVALID_INPUT',
    );
    expect(proxy.requests).toHaveLength(0);
  });
});

describe('what each upload asks S3 for', () => {
  test('private visibility (the default) sends no ACL header at all', async () => {
    const p = make();
    expect(p.isPrivate()).toBe(true);
    await p.upload({
      key: key('private.bin'),
      body: randomBytes(100),
      mime: 'application/octet-stream',
      name: 'p.bin',
    });
    await p.upload({
      key: key('private-big.bin'),
      body: randomStream(6 * MiB).stream,
      mime: 'application/octet-stream',
      name: 'p.bin',
    });
    const writes = [...proxy.matching('PUT'), ...proxy.matching('POST')];
    expect(writes.length).toBeGreaterThan(2);
    for (const r of writes) expect(r.headers['x-amz-acl']).toBeUndefined();
  });

  test('public visibility sends public-read on the PutObject and on the multipart upload', async () => {
    const p = make({ visibility: 'public' });
    expect(p.isPrivate()).toBe(false);
    await p.upload({ key: key('public.bin'), body: randomBytes(100), mime: 'application/octet-stream', name: 'p.bin' });
    await p.upload({
      key: key('public-big.bin'),
      body: randomStream(6 * MiB).stream,
      mime: 'application/octet-stream',
      name: 'p.bin',
    });
    const put = proxy.matching('PUT').filter((r) => !/partNumber=/.test(r.url));
    expect(put).toHaveLength(1);
    expect(put[0]!.headers['x-amz-acl']).toBe('public-read');
    expect(proxy.matching('POST', /\?uploads/)[0]!.headers['x-amz-acl']).toBe('public-read');
  });

  test('public visibility with sendAcl: false (bucket owner enforced) sends no ACL', async () => {
    const p = make({ visibility: 'public', sendAcl: false });
    expect(p.isPrivate()).toBe(false);
    await p.upload({ key: key('owner.bin'), body: randomBytes(100), mime: 'application/octet-stream', name: 'o.bin' });
    expect(proxy.matching('PUT')[0]!.headers['x-amz-acl']).toBeUndefined();
  });

  test('storage class, encryption, cache control, type, disposition and metadata go out as S3 headers', async () => {
    const p = make({
      storageClass: 'STANDARD_IA',
      serverSideEncryption: 'aws:kms',
      kmsKeyId: 'alias/uploads',
      cacheControl: 'public, max-age=60',
    });
    const stored = await p.upload({
      key: key('headers.pdf'),
      body: randomBytes(100),
      mime: 'application/pdf',
      name: 'Résumé final.pdf',
      disposition: 'attachment',
      metadata: { owner: 'user-42' },
    });
    const h = proxy.matching('PUT')[0]!.headers;
    expect(h['x-amz-storage-class']).toBe('STANDARD_IA');
    expect(h['x-amz-server-side-encryption']).toBe('aws:kms');
    expect(h['x-amz-server-side-encryption-aws-kms-key-id']).toBe('alias/uploads');
    expect(h['cache-control']).toBe('public, max-age=60');
    expect(h['content-type']).toBe('application/pdf');
    expect(h['content-disposition']).toBe(contentDisposition('attachment', 'Résumé final.pdf'));
    expect(h['x-amz-meta-owner']).toBe('user-42');
    // s3rver keeps type and disposition, so they are served back.
    const res = await fetch(stored.url);
    await res.arrayBuffer();
    expect(res.headers.get('content-type')).toBe('application/pdf');
    expect(res.headers.get('content-disposition')).toBe(contentDisposition('attachment', 'Résumé final.pdf'));
  });

  test('a very long file name is shortened in Content-Disposition, keeping its extension', async () => {
    const p = make();
    await p.upload({
      key: key('long-name.txt'),
      body: Buffer.from('x'),
      mime: 'text/plain',
      name: `${'a'.repeat(5000)}.txt`,
    });
    const cd = String(proxy.matching('PUT')[0]!.headers['content-disposition']);
    expect(cd.length).toBeLessThan(400);
    expect(cd).toMatch(/^inline; filename="a+\.txt"/);
  });
});
