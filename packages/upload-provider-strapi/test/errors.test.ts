import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { isProviderError, type ProviderError } from 'upload-provider';
import { type Emulator, startS3rver } from '../../upload-provider-aws-s3/test/support/emulator.js';
import { strapiProvider } from '../src/index.js';
import { strapiS3Options } from './support/backends.js';

// Failures of a real Strapi provider (@strapi/provider-upload-aws-s3 on s3rver) arrive as ProviderError codes, with the
// provider's own error as the cause.
const BUCKET = 'strapi-errors';
let s3: Emulator;
beforeAll(async () => {
  s3 = await startS3rver([BUCKET]);
});
afterAll(() => s3.close());

async function uploadError(providerOptions: Record<string, unknown>): Promise<ProviderError> {
  const bridge = strapiProvider({ provider: '@strapi/provider-upload-aws-s3', providerOptions });
  try {
    await bridge.upload({ key: 'x/a.txt', body: Buffer.from('hello'), mime: 'text/plain', name: 'a.txt' });
  } catch (error) {
    if (isProviderError(error)) return error;
    throw error;
  } finally {
    await bridge.close();
  }
  throw new Error('the upload succeeded');
}

test('an unknown access key is ACCESS_DENIED', async () => {
  const options = strapiS3Options(s3.endpoint, BUCKET, 'private');
  const credentials = { accessKeyId: 'NOBODY', secretAccessKey: 'nothing' };
  const error = await uploadError({ s3Options: { ...options.s3Options, credentials } });
  expect(error.code).toBe('ACCESS_DENIED');
  expect(error.provider).toBe('strapi');
  expect((error.cause as { name?: string }).name).toBe('InvalidAccessKeyId');
});

test('a bucket that does not exist is NOT_FOUND', async () => {
  const error = await uploadError(strapiS3Options(s3.endpoint, 'no-such-bucket', 'private'));
  expect(error.code).toBe('NOT_FOUND');
  expect((error.cause as { name?: string }).name).toBe('NoSuchBucket');
});

test('a store that cannot be reached is UNAVAILABLE and retryable', async () => {
  const error = await uploadError(strapiS3Options('http://127.0.0.1:9', BUCKET, 'private'));
  expect(error.code).toBe('UNAVAILABLE');
  expect(error.retryable).toBe(true);
  expect(error.cause).toBeInstanceOf(Error);
});
