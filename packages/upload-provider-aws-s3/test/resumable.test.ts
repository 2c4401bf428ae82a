// S3 resumable sessions against s3rver, seen on the wire and in the bucket: parts of `partSize`, the tail shorter
// than a part kept as its own object between appends, and an abort that removes the tail and aborts the multipart
// upload. s3rver answers AbortMultipartUpload with 405 and keeps the parts (TOOLCHAIN.md), so the abort is proven by
// the request reaching it; real S3 drops the parts on that request.
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { awsS3Provider } from '../src/index.js';
import { CREDENTIALS, type Emulator, REGION, startS3rver } from './support/emulator.js';

const BUCKET = 'resumable';
const MiB = 1024 * 1024;
let s3: Emulator;
let client: S3Client;
const sent: string[] = [];

beforeAll(async () => {
  s3 = await startS3rver([BUCKET]);
  client = new S3Client({
    region: REGION,
    endpoint: s3.endpoint,
    forcePathStyle: true,
    credentials: CREDENTIALS,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  client.middlewareStack.add(
    (next, context) => async (args) => {
      sent.push(context.commandName as string);
      return next(args);
    },
    { step: 'initialize' },
  );
});
afterAll(async () => {
  client?.destroy();
  await s3?.close();
});

const exists = async (key: string) =>
  client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key })).then(
    () => true,
    () => false,
  );

test('a tail shorter than a part waits as its own object; full parts go up as parts; abort leaves nothing', async () => {
  const provider = awsS3Provider({ bucket: BUCKET, client, partSize: 5 * MiB });
  const sessions = provider.resumable!;
  const key = `r/${randomBytes(4).toString('hex')}.bin`;
  let state = await sessions.create({ key, mime: 'application/octet-stream', name: 'r.bin' });

  sent.length = 0;
  let got = await sessions.append({ key, state }, Readable.from([randomBytes(3 * MiB)]), { offset: 0 });
  expect(got.offset).toBe(3 * MiB);
  expect(sent).not.toContain('UploadPartCommand');
  expect(await exists(`${key}.resumable-tail`)).toBe(true);
  state = got.state;

  sent.length = 0;
  got = await sessions.append({ key, state }, Readable.from([randomBytes(3 * MiB)]), { offset: 3 * MiB });
  expect(got.offset).toBe(6 * MiB);
  // 3 MiB of tail + 3 MiB new: one 5 MiB part, and 1 MiB left in the tail.
  expect(sent.filter((c) => c === 'UploadPartCommand')).toHaveLength(1);
  expect(await exists(`${key}.resumable-tail`)).toBe(true);

  sent.length = 0;
  await sessions.abort({ key, state: got.state });
  expect(sent).toContain('AbortMultipartUploadCommand');
  expect(await exists(`${key}.resumable-tail`)).toBe(false);
  expect(await exists(key)).toBe(false);
  await provider.close();
});

test('complete turns the tail into the last part and removes the tail object', async () => {
  const provider = awsS3Provider({ bucket: BUCKET, client, partSize: 5 * MiB });
  const sessions = provider.resumable!;
  const key = `r/${randomBytes(4).toString('hex')}.bin`;
  const state = await sessions.create({ key, mime: 'application/octet-stream', name: 'r.bin' });
  const got = await sessions.append({ key, state }, Readable.from([randomBytes(7 * MiB)]), { offset: 0 });
  const stored = await sessions.complete({ key, state: got.state }, { size: 7 * MiB });
  expect(stored).toMatchObject({ key, size: 7 * MiB });
  expect(await exists(key)).toBe(true);
  expect(await exists(`${key}.resumable-tail`)).toBe(false);
  await provider.delete(stored);
  await provider.close();
});
