import { S3Client } from '@aws-sdk/client-s3';
import { describe, expect, test } from '@jest/globals';
import { isProviderError, type ProviderError } from 'upload-provider';
import awsS3ProviderDefault, { awsS3Provider, S3_LIMITS } from '../src/index.js';

const MiB = 1024 * 1024;

function refusal(options: unknown): ProviderError {
  try {
    awsS3Provider(options as never);
  } catch (error) {
    if (isProviderError(error, 'INVALID_OPTIONS')) return error;
    throw error;
  }
  throw new Error('the options were accepted');
}

const problems = (error: ProviderError) =>
  ((error.details?.problems ?? []) as Array<{ option: string }>).map((p) => p.option).sort();

describe('options', () => {
  test('the default export is the named factory, called aws-s3', () => {
    expect(awsS3ProviderDefault).toBe(awsS3Provider);
    expect(awsS3Provider.providerName).toBe('aws-s3');
    const p = awsS3Provider({
      bucket: 'b',
      region: 'eu-west-1',
      credentials: { accessKeyId: 'a', secretAccessKey: 's' },
    });
    expect(p.name).toBe('aws-s3');
    expect(p.capabilities).toEqual({
      read: true,
      rangeRead: true,
      stat: true,
      directUpload: true,
      downloadName: true,
      contentType: true,
      unknownSize: true,
      emptyFiles: true,
      resumable: true,
    });
    expect(p.isPrivate()).toBe(true);
    void p.close();
  });

  test('every problem is named at once, with the provider', () => {
    const error = refusal({
      bucket: '',
      endpoint: 'not a url',
      partSize: 1024,
      queueSize: 0,
      urlExpiresIn: 8 * 24 * 3600,
      visibility: 'public-read',
      kmsKeyId: 'k',
      storageClass: 'cheap',
      forcePathstyle: true,
    });
    expect(error.message).toMatch(/^\[aws-s3\] invalid options: /);
    expect(problems(error)).toEqual([
      '',
      'bucket',
      'endpoint',
      'kmsKeyId',
      'partSize',
      'queueSize',
      'storageClass',
      'urlExpiresIn',
      'visibility',
    ]);
    expect(error.message).toContain('forcePathstyle');
  });

  test('part sizes follow S3: 5 MiB to 5 GiB, checked rather than clamped', () => {
    expect(refusal({ bucket: 'b', partSize: 5 * MiB - 1 }).message).toContain('partSize must be at least 5242880');
    expect(refusal({ bucket: 'b', partSize: 5 * 1024 * MiB + 1 }).message).toContain(
      'partSize must be at most 5368709120',
    );
    expect(refusal({ bucket: 'b', partSize: 6 * MiB + 0.5 }).message).toContain('whole number');
    expect(awsS3Provider.check({ bucket: 'b', partSize: S3_LIMITS.minPartSize })).toEqual([]);
    expect(awsS3Provider.check({ bucket: 'b', partSize: S3_LIMITS.maxPartSize, queueSize: 1 })).toEqual([]);
  });

  test('lifetimes: urlExpiresIn is 1 s to 7 days', () => {
    expect(awsS3Provider.check({ bucket: 'b', urlExpiresIn: 604_800 })).toEqual([]);
    expect(problems(refusal({ bucket: 'b', urlExpiresIn: 604_801 }))).toEqual(['urlExpiresIn']);
    expect(problems(refusal({ bucket: 'b', urlExpiresIn: 0 }))).toEqual(['urlExpiresIn']);
  });

  test('a bucket path, a hostile prefix and bad credentials are named', () => {
    expect(refusal({ bucket: 'b/folder' }).message).toContain('prefix');
    expect(problems(refusal({ bucket: 'b', prefix: '../up' }))).toEqual(['prefix']);
    expect(problems(refusal({ bucket: 'b', credentials: { accessKeyId: 'a' } }))).toEqual(['credentials']);
    expect(problems(refusal({ bucket: 'b', serverSideEncryption: 'rot13' }))).toEqual(['serverSideEncryption']);
  });

  test('an injected client: credentials and checksumMode belong on the client', async () => {
    const client = new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 's' } });
    expect(
      problems(
        refusal({
          bucket: 'b',
          client,
          credentials: { accessKeyId: 'a', secretAccessKey: 's' },
          checksumMode: 'WHEN_REQUIRED',
        }),
      ),
    ).toEqual(['checksumMode', 'credentials']);
    expect(problems(refusal({ bucket: 'b', client: { send: 1 } }))).toEqual(['client']);
    const p = awsS3Provider({ bucket: 'b', client });
    expect((await p.signUrl({ key: 'x' })).url).toMatch(/^https:\/\/s3\.us-east-1\.amazonaws\.com\/b\/x\?/);
    await p.close();
    await expect(p.signUrl({ key: 'x' })).rejects.toMatchObject({ code: 'INTERNAL' });
    client.destroy();
  });

  test('a prefix is normalised and applied to every object key, but not to the keys it returns', () => {
    const p = awsS3Provider({ bucket: 'bucket', region: 'eu-west-1', prefix: '/tenant-1/uploads/' });
    expect(p.url({ key: '/a.png' })).toBe('https://bucket.s3.eu-west-1.amazonaws.com/tenant-1/uploads/a.png');
    void p.close();
  });
});
