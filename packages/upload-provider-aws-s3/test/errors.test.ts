import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, test } from '@jest/globals';
import { isProviderError, type ProviderError } from 'upload-provider';
import { startS3rver } from './support/emulator.js';
import { useS3rver } from './support/fixture.js';

const BUCKET = 'errors';
const s3 = useS3rver(BUCKET);
const make = s3.make;

const key = (name: string) => `errors-test/${randomBytes(6).toString('hex')}/${name}`;
const file = (k = key('f.txt')) => ({ key: k, body: Buffer.from('hello'), mime: 'text/plain', name: 'f.txt' });

async function rejection(promise: Promise<unknown>): Promise<ProviderError> {
  try {
    await promise;
  } catch (error) {
    if (isProviderError(error)) return error;
    throw new Error(`expected a ProviderError, got ${String(error)}`, { cause: error });
  }
  throw new Error('expected a rejection, but it resolved');
}

/**
 * A real HTTP server that answers every request with one S3 error document, for the answers s3rver never gives
 * (throttling, size limits, ACLs refused). The SDK parses it exactly as it would parse S3's.
 */
async function s3Answering(
  status: number,
  code: string,
  message: string,
): Promise<{ endpoint: string; hits: () => number; close(): Promise<void> }> {
  let hits = 0;
  const server: Server = createServer((req, res) => {
    hits++;
    req.resume();
    req.on('end', () => {
      res.writeHead(status, { 'content-type': 'application/xml' });
      res.end(
        `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>test</RequestId></Error>`,
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits: () => hits,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('S3 answers map onto the contract’s codes, with the SDK error as cause', () => {
  test('an unknown access key is ACCESS_DENIED', async () => {
    const p = make({ credentials: { accessKeyId: 'NOBODY', secretAccessKey: 'wrong' } });
    const error = await rejection(p.upload(file()));
    expect(error.code).toBe('ACCESS_DENIED');
    expect(error.retryable).toBe(false);
    expect((error.cause as Error).name).toBe('InvalidAccessKeyId');
    expect(error.message).not.toContain('wrong');
    expect((await rejection(p.stat({ key: 'x.txt' }))).code).toBe('ACCESS_DENIED');
  });

  test('a bucket that does not exist is NOT_FOUND, naming the bucket', async () => {
    const p = make({ bucket: 'no-such-bucket' });
    const error = await rejection(p.upload(file()));
    expect(error.code).toBe('NOT_FOUND');
    expect(error.message).toContain('no-such-bucket');
    expect((error.cause as Error).name).toBe('NoSuchBucket');
  });

  test('a missing object: read is NOT_FOUND, stat is null, delete resolves', async () => {
    const p = make();
    const ref = { key: key('missing.bin') };
    const error = await rejection(p.read(ref));
    expect(error.code).toBe('NOT_FOUND');
    expect((error.cause as Error).name).toBe('NoSuchKey');
    expect(await p.stat(ref)).toBeNull();
    await expect(p.delete(ref)).resolves.toBeUndefined();
  });

  test('ranges: a range past the end is INVALID_INPUT from S3; a malformed one is refused before any request', async () => {
    const p = make();
    const stored = await p.upload({ ...file(), body: Buffer.from('0123456789') });
    expect((await rejection(p.read(stored, { start: 10 }))).code).toBe('INVALID_INPUT');
    expect((await rejection(p.read(stored, { start: 5, end: 4 }))).code).toBe('INVALID_INPUT');
    expect((await rejection(p.read(stored, { start: -1 }))).code).toBe('INVALID_INPUT');
    expect((await rejection(p.read(stored, { start: 1.5 }))).code).toBe('INVALID_INPUT');
    const chunks: Buffer[] = [];
    for await (const c of await p.read(stored, { start: 2, end: 4 })) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('234');
  });

  test('nothing listening is a retryable UNAVAILABLE', async () => {
    const gone = await startS3rver([]);
    const endpoint = gone.endpoint;
    await gone.close();
    const p = make({ endpoint });
    const error = await rejection(p.upload(file()));
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.retryable).toBe(true);
    expect(String(error.cause)).toContain('ECONNREFUSED');
  });

  test('throttling (503 SlowDown) is a retryable UNAVAILABLE after the SDK’s own retries', async () => {
    const fake = await s3Answering(503, 'SlowDown', 'Please reduce your request rate.');
    try {
      const p = make({ endpoint: fake.endpoint });
      const error = await rejection(p.stat({ key: 'x.bin' }));
      expect(error.code).toBe('UNAVAILABLE');
      expect(error.retryable).toBe(true);
      expect(fake.hits()).toBeGreaterThan(1);
    } finally {
      await fake.close();
    }
  });

  test('EntityTooLarge is TOO_LARGE', async () => {
    const fake = await s3Answering(400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size');
    try {
      const error = await rejection(make({ endpoint: fake.endpoint }).upload(file()));
      expect(error.code).toBe('TOO_LARGE');
      expect((error.cause as Error).name).toBe('EntityTooLarge');
    } finally {
      await fake.close();
    }
  });

  test('a bucket that refuses ACLs is ACCESS_DENIED with a message saying to set sendAcl: false', async () => {
    const fake = await s3Answering(400, 'AccessControlListNotSupported', 'The bucket does not allow ACLs');
    try {
      const error = await rejection(make({ endpoint: fake.endpoint, visibility: 'public' }).upload(file()));
      expect(error.code).toBe('ACCESS_DENIED');
      expect(error.message).toContain('sendAcl: false');
    } finally {
      await fake.close();
    }
  });

  test('a failure S3 reports while a multipart upload is under way stops the upload and is reported', async () => {
    const fake = await s3Answering(500, 'InternalError', 'We encountered an internal error.');
    try {
      const p = make({ endpoint: fake.endpoint });
      const body = (await import('node:stream')).Readable.from([randomBytes(6 * 1024 * 1024)]);
      const error = await rejection(
        p.upload({ key: key('big.bin'), body, mime: 'application/octet-stream', name: 'b.bin' }),
      );
      expect(error.code).toBe('UNAVAILABLE');
      expect(body.destroyed).toBe(true);
    } finally {
      await fake.close();
    }
  });

  test('calls after close are refused', async () => {
    const p = make();
    await p.close();
    expect((await rejection(p.upload(file()))).code).toBe('INTERNAL');
  });
});
