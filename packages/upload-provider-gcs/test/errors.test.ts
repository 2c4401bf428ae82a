import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { isProviderError, type ProviderError } from 'upload-provider';
import { type GcsProviderOptions, gcsProvider } from '../src/index.js';
import { PROJECT_ID } from './support/emulator.js';
import { makeServiceAccount } from './support/signing.mjs';

// The emulator answers only 200s and 404s, so the other statuses Cloud Storage sends are played by a small local
// HTTP server that answers every request with the status under test and a GCS-shaped JSON error body. The real SDK
// talks to it through `apiEndpoint` (STORAGE_EMULATOR_HOST stays unset in this file, so every request goes there).
delete process.env.STORAGE_EMULATOR_HOST;

interface Answer {
  status: number;
  message: string;
}

let server: Server;
let endpoint: string;
let answer: Answer = { status: 500, message: 'unset' };
const seen: string[] = [];
const account = makeServiceAccount(PROJECT_ID);

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res) => {
    seen.push(`${req.method} ${req.url?.replace(/\?$/, '')}`);
    req.resume();
    req.on('end', () => {
      const body = JSON.stringify({
        error: { code: answer.status, message: answer.message, errors: [{ message: answer.message, reason: 'test' }] },
      });
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  seen.length = 0;
});

/** A provider on an injected Storage whose retries are off, so a 503 is reported at once instead of after backoff. */
function make(extra: Partial<GcsProviderOptions> = {}) {
  const storage = new Storage({ apiEndpoint: endpoint, projectId: PROJECT_ID, retryOptions: { autoRetry: false } });
  return gcsProvider({ bucket: 'errors', storage, ...extra });
}

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  try {
    await promise;
  } catch (error) {
    if (isProviderError(error)) return error;
    throw new Error(`expected a ProviderError, got ${String(error)}`, { cause: error });
  }
  throw new Error('expected a rejection');
}

const file = (size: number) => ({
  key: `e/${randomBytes(4).toString('hex')}.bin`,
  body: Readable.from([randomBytes(size)]),
  size,
  mime: 'application/octet-stream',
  name: 'e.bin',
});

describe('statuses from Cloud Storage map onto the contract codes, with the SDK error as cause', () => {
  test('404: stat is null, read is NOT_FOUND, delete resolves', async () => {
    answer = { status: 404, message: 'No such object: errors/e/x.bin' };
    const p = make();
    expect(await p.stat({ key: 'e/x.bin' })).toBeNull();
    const read = await failure(p.read({ key: 'e/x.bin' }));
    expect(read.code).toBe('NOT_FOUND');
    expect(read.cause).toBeDefined();
    await expect(p.delete({ key: 'e/x.bin' })).resolves.toBeUndefined();
    expect(seen).toEqual([
      'GET /storage/v1/b/errors/o/e%2Fx.bin',
      'GET /storage/v1/b/errors/o/e%2Fx.bin',
      'DELETE /storage/v1/b/errors/o/e%2Fx.bin',
    ]);
  });

  test('404 for a missing bucket names the bucket, and stat reports it instead of null', async () => {
    answer = { status: 404, message: 'The specified bucket does not exist.' };
    const stat = await failure(make().stat({ key: 'a.txt' }));
    expect([stat.code, stat.message]).toEqual(['NOT_FOUND', '[gcs] stat "a.txt": the bucket "errors" does not exist']);
    for (const threshold of [0, 1 << 20]) {
      const error = await failure(make({ resumableThreshold: threshold }).upload(file(100)));
      expect(error.code).toBe('NOT_FOUND');
      expect(error.message).toContain('the bucket "errors" does not exist');
    }
  });

  for (const status of [401, 403]) {
    test(`${status}: every operation is ACCESS_DENIED, not retryable`, async () => {
      answer = { status, message: 'uploader@x does not have storage.objects.get access' };
      const p = make();
      for (const [what, call] of [
        ['stat', () => p.stat({ key: 'a.txt' })],
        ['read', () => p.read({ key: 'a.txt' })],
        ['delete', () => p.delete({ key: 'a.txt' })],
        ['single-request upload', () => make({ resumableThreshold: 1 << 20 }).upload(file(100))],
        ['resumable upload', () => make({ resumableThreshold: 0 }).upload(file(100))],
      ] as const) {
        const error = await failure(call());
        expect([what, error.code, error.retryable]).toEqual([what, 'ACCESS_DENIED', false]);
        expect(error.provider).toBe('gcs');
        expect(error.cause).toBeDefined();
      }
    });
  }

  for (const status of [429, 500, 503]) {
    test(`${status}: UNAVAILABLE and retryable`, async () => {
      answer = { status, message: 'Backend Error' };
      const p = make();
      for (const call of [
        () => p.stat({ key: 'a.txt' }),
        () => p.delete({ key: 'a.txt' }),
        () => make({ resumableThreshold: 1 << 20 }).upload(file(100)),
        () => make({ resumableThreshold: 0 }).upload(file(100)),
      ]) {
        const error = await failure(call());
        expect([error.code, error.retryable, error.details?.status]).toEqual(['UNAVAILABLE', true, status]);
      }
    });
  }

  test('400 from a bucket with uniform bucket-level access explains which visibility to use', async () => {
    answer = {
      status: 400,
      message: 'Cannot insert legacy ACL for an object when uniform bucket-level access is enabled.',
    };
    const error = await failure(make({ visibility: 'public-acl' }).upload(file(10)));
    expect(error.code).toBe('ACCESS_DENIED');
    expect(error.message).toMatch(/public-bucket/);
    expect(seen[0]).toMatch(/predefinedAcl=publicRead/);
  });

  test('a refused connection is UNAVAILABLE and retryable', async () => {
    const dead = await new Promise<string>((resolve) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => {
        const { port } = s.address() as AddressInfo;
        s.close(() => resolve(`http://127.0.0.1:${port}`));
      });
    });
    const storage = new Storage({ apiEndpoint: dead, projectId: PROJECT_ID, retryOptions: { autoRetry: false } });
    const p = gcsProvider({ bucket: 'errors', storage });
    for (const call of [
      () => p.stat({ key: 'a.txt' }),
      () => gcsProvider({ bucket: 'errors', storage, resumableThreshold: 0 }).upload(file(10)),
      () => gcsProvider({ bucket: 'errors', storage, resumableThreshold: 1 << 20 }).upload(file(10)),
    ]) {
      const error = await failure(call());
      expect([error.code, error.retryable]).toEqual(['UNAVAILABLE', true]);
    }
  });

  test('a provider that builds its own Storage from options uses apiEndpoint and maps errors the same way', async () => {
    answer = { status: 403, message: 'denied' };
    const p = gcsProvider({ bucket: 'errors', apiEndpoint: endpoint, credentials: account.credentials });
    expect((await failure(p.stat({ key: 'a.txt' }))).code).toBe('ACCESS_DENIED');
    expect(seen).toEqual(['GET /storage/v1/b/errors/o/a.txt']);
    expect(p.url({ key: 'a b.txt' })).toBe(`${endpoint}/errors/a%20b.txt`);
  });
});
