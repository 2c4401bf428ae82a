import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from '@jest/globals';
import { CREDENTIALS, REGION } from '../../../upload-provider-aws-s3/test/support/emulator.js';
import { FakeCloudinary } from '../../../upload-provider-cloudinary/test/support/fake-cloudinary.js';

/** `providerOptions` of @strapi/provider-upload-aws-s3 for a bucket on s3rver (started with the aws-s3 package's set-up). */
export function strapiS3Options(endpoint: string, bucket: string, acl: 'private' | 'public-read') {
  return {
    s3Options: {
      endpoint,
      forcePathStyle: true,
      region: REGION,
      credentials: CREDENTIALS,
      // s3rver stores aws-chunked framing as the object unless checksums are sent only when required.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      params: { Bucket: bucket, ACL: acl },
    },
  };
}

export interface StrapiCloud {
  readonly server: FakeCloudinary;
  /** `providerOptions` of @strapi/provider-upload-cloudinary for the stand-in. */
  providerOptions(): Record<string, unknown>;
}

/**
 * The cloudinary package's Cloudinary stand-in (it checks every request signature with its own code) for a test file.
 * The cloudinary SDK picks http or https when it is first loaded, from CLOUDINARY_URL, so that is set before the
 * Strapi provider loads it.
 */
export function useStrapiCloud(cloudName: string): StrapiCloud {
  const apiKey = '123456789012345';
  const apiSecret = `a-cloudinary-secret-for-${cloudName}`;
  let server: FakeCloudinary | undefined;
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'strapi-fake-cloudinary-'));
    server = await new FakeCloudinary({ cloudName, apiKey, apiSecret, dir }).start();
    process.env.CLOUDINARY_URL = `cloudinary://${apiKey}:${apiSecret}@${cloudName}?upload_prefix=${encodeURIComponent(server.apiUrl)}`;
  });
  afterAll(async () => {
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  return {
    get server() {
      if (!server) throw new Error('the Cloudinary stand-in is not started yet');
      return server;
    },
    providerOptions: () => ({
      cloud_name: cloudName,
      api_key: apiKey,
      api_secret: apiSecret,
      secure: false,
      cname: server!.deliveryHost,
    }),
  };
}
