import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { expect, test } from '@jest/globals';
import { describeProviderConformance } from 'upload-provider-conformance';
import { type StrapiProviderModule, strapiProvider } from '../src/index.js';
import { useBridgeHost } from './support/bridge-server.js';

// @strapi/provider-upload-local from npm writes into public/uploads; the bridge's own handler serves those files and
// checks its signed links, so the suite fetches every URL for real and expired or tampered links must be refused.
const host = useBridgeHost();

describeProviderConformance({
  name: 'strapi bridge over @strapi/provider-upload-local',
  capabilities: strapiProvider.capabilitiesFor({ provider: '@strapi/provider-upload-local' }),
  private: false,
  create: () => host.make({ provider: '@strapi/provider-upload-local' }),
  cleanup: (p) => p.close(),
  factory: strapiProvider,
  invalidOptions: [
    { options: {}, mentions: ['provider'] },
    {
      options: { provider: '@strapi/provider-upload-local', urlExpiresIn: 0, secret: 'short' },
      mentions: ['urlExpiresIn', 'secret'],
    },
    {
      options: { provider: '@strapi/provider-upload-local', baseUrl: 'ftp://x', sizeLimit: -1 },
      mentions: ['baseUrl', 'sizeLimit'],
    },
  ],
});

// The same provider with its uploadStream taken away: Strapi then hands it a buffer, and so does the bridge (bounded
// by sizeLimit), which is the path of community providers that have only upload(file).
const localModule = createRequire(__filename)('@strapi/provider-upload-local') as StrapiProviderModule;
const bufferOnly: StrapiProviderModule = {
  init(options) {
    const { uploadStream: _, ...rest } = localModule.init(options) as Record<string, unknown>;
    return rest;
  },
};

describeProviderConformance({
  name: 'strapi bridge over @strapi/provider-upload-local with upload() only (buffered)',
  capabilities: strapiProvider.capabilitiesFor({ provider: '@strapi/provider-upload-local' }),
  private: false,
  create: () => host.make({ provider: bufferOnly, sizeLimit: 16 * 1024 * 1024 }),
  cleanup: (p) => p.close(),
});

test('the strapi global exists only while a bridge is open', async () => {
  expect((globalThis as { strapi?: unknown }).strapi).toBeUndefined();
  const bridge = host.make({ provider: '@strapi/provider-upload-local' });
  expect((globalThis as { strapi?: { dirs: unknown } }).strapi?.dirs).toEqual({ static: { public: host.publicDir } });
  await bridge.close();
  expect((globalThis as { strapi?: unknown }).strapi).toBeUndefined();
});

test('after the suite, public/uploads holds nothing: deletes and failed uploads left no file', () => {
  expect(readdirSync(join(host.publicDir, 'uploads'))).toEqual([]);
});
