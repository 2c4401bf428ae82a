import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from '@jest/globals';
import { type CloudinaryOptions, cloudinaryProvider } from '../../src/index.js';
import { FakeCloudinary, type FakeCloudinaryOptions } from './fake-cloudinary.js';

export const CLOUD = 'demo-cloud';
export const API_KEY = '614335564976464';
export const API_SECRET = 'a-test-secret-that-only-these-tests-know';

export interface TestCloud {
  server: FakeCloudinary;
  /** Options that point the provider (and the real SDK under it) at the local server. */
  options(extra?: Partial<CloudinaryOptions>): CloudinaryOptions;
  make(extra?: Partial<CloudinaryOptions>): ReturnType<typeof cloudinaryProvider>;
}

/** Starts a local Cloudinary stand-in for the test file and stops it (and removes its files) afterwards. */
export function useTestCloud(serverOptions: Partial<FakeCloudinaryOptions> = {}): TestCloud {
  let server: FakeCloudinary | undefined;
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fake-cloudinary-'));
    server = await new FakeCloudinary({
      cloudName: CLOUD,
      apiKey: API_KEY,
      apiSecret: API_SECRET,
      dir,
      ...serverOptions,
    }).start();
  });
  afterAll(async () => {
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  const cloud: TestCloud = {
    get server() {
      if (!server) throw new Error('the test cloud is not started yet');
      return server;
    },
    options: (extra = {}) => ({
      cloudName: CLOUD,
      apiKey: API_KEY,
      apiSecret: API_SECRET,
      apiUrl: cloud.server.apiUrl,
      secure: false,
      cname: cloud.server.deliveryHost,
      ...extra,
    }),
    make: (extra = {}) => cloudinaryProvider(cloud.options(extra)),
  };
  return cloud;
}
