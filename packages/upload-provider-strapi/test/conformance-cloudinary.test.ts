import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from '@jest/globals';
import { describeProviderConformance } from 'upload-provider-conformance';
import { FakeCloudinary } from '../../upload-provider-cloudinary/test/support/fake-cloudinary.js';
import { capabilitiesOf } from '../src/index.js';
import { useBridgeHost } from './support/bridge-server.js';

// @strapi/provider-upload-cloudinary from npm, with the real cloudinary SDK, against the Cloudinary stand-in of the
// cloudinary package (it checks every request signature with its own code). Cloudinary refuses empty files.
const CLOUD = 'strapi-cloud';
const API_KEY = '123456789012345';
const API_SECRET = 'a-cloudinary-secret-for-the-bridge-tests';
const host = useBridgeHost();
let cloud: FakeCloudinary;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'strapi-fake-cloudinary-'));
  cloud = await new FakeCloudinary({ cloudName: CLOUD, apiKey: API_KEY, apiSecret: API_SECRET, dir }).start();
  // The SDK chooses http or https when it is first loaded, from CLOUDINARY_URL: set it before the provider loads it.
  process.env.CLOUDINARY_URL = `cloudinary://${API_KEY}:${API_SECRET}@${CLOUD}?upload_prefix=${encodeURIComponent(cloud.apiUrl)}`;
});
afterAll(async () => {
  await cloud.stop();
  await rm(dir, { recursive: true, force: true });
});

describeProviderConformance({
  name: 'strapi bridge over @strapi/provider-upload-cloudinary (Cloudinary stand-in)',
  capabilities: capabilitiesOf({ emptyFiles: false }),
  private: false,
  create: () =>
    host.make({
      provider: '@strapi/provider-upload-cloudinary',
      providerOptions: {
        cloud_name: CLOUD,
        api_key: API_KEY,
        api_secret: API_SECRET,
        upload_prefix: cloud.apiUrl,
        secure: false,
        cname: cloud.deliveryHost,
      },
      emptyFiles: false,
    }),
  cleanup: (p) => p.close(),
});
