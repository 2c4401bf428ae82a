import { afterAll, afterEach, beforeAll } from '@jest/globals';
import { type AwsS3Provider, type AwsS3ProviderOptions, awsS3Provider } from '../../src/index.js';
import { CREDENTIALS, type Emulator, REGION, startS3rver } from './emulator.js';

export interface S3rverFixture {
  /** The emulator's `http://127.0.0.1:<port>`, once started. */
  readonly endpoint: string;
  /** A provider on `bucket` in s3rver (path-style, test credentials), closed after each test. */
  make(extra?: Partial<AwsS3ProviderOptions>): AwsS3Provider;
}

/** Starts s3rver with `bucket` for the test file, and closes every provider `make` gave after each test. */
export function useS3rver(bucket: string): S3rverFixture {
  let emulator: Emulator | undefined;
  const open: AwsS3Provider[] = [];
  beforeAll(async () => {
    emulator = await startS3rver([bucket]);
  });
  afterAll(() => emulator?.close());
  afterEach(async () => {
    await Promise.all(open.splice(0).map((p) => p.close()));
  });
  const endpoint = () => {
    if (!emulator) throw new Error('s3rver is not started yet');
    return emulator.endpoint;
  };
  return {
    get endpoint() {
      return endpoint();
    },
    make(extra = {}) {
      const p = awsS3Provider({
        bucket,
        region: REGION,
        endpoint: endpoint(),
        forcePathStyle: true,
        credentials: CREDENTIALS,
        ...extra,
      });
      open.push(p);
      return p;
    },
  };
}
