import { afterAll, beforeAll } from '@jest/globals';
import { describeProviderConformance } from 'upload-provider-conformance';
import { type Emulator, startS3rver } from '../../upload-provider-aws-s3/test/support/emulator.js';
import { strapiProvider } from '../src/index.js';
import { strapiS3Options } from './support/backends.js';
import { useBridgeHost } from './support/bridge-server.js';

// @strapi/provider-upload-aws-s3 from npm, on s3rver (the aws-s3 package's emulator set-up, reused). The bridge's
// signed links are checked by its own handler, so expired and tampered links are fetched and refused for real; for a
// private bucket a valid link redirects to a fresh presigned URL from the provider's getSignedUrl.
// privateUrls: s3rver has no ACLs, so a private object's plain URL cannot be refused here.
const BUCKET = 'strapi-bridge';
const host = useBridgeHost();
let s3: Emulator;
beforeAll(async () => {
  s3 = await startS3rver([BUCKET]);
});
afterAll(() => s3.close());

for (const acl of ['private', 'public-read'] as const) {
  describeProviderConformance({
    name: `strapi bridge over @strapi/provider-upload-aws-s3 (${acl}, s3rver)`,
    capabilities: strapiProvider.capabilitiesFor({ provider: '@strapi/provider-upload-aws-s3' }),
    private: acl === 'private',
    create: () =>
      host.make({
        provider: '@strapi/provider-upload-aws-s3',
        providerOptions: strapiS3Options(s3.endpoint, BUCKET, acl),
      }),
    cleanup: (p) => p.close(),
    enforces: { privateUrls: false, atomicOverwrite: false },
    largeFileBytes: 12 * 1024 * 1024,
  });
}
