import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@jest/globals';
import { describeProviderConformance } from 'upload-provider-conformance';
import { capabilitiesOf, strapiProvider } from '../src/index.js';
import { useBridgeHost } from './support/bridge-server.js';

// @strapi/provider-upload-local from npm writes into public/uploads; the bridge's own handler serves those files and
// checks its signed links, so the suite fetches every URL for real and expired or tampered links must be refused.
const host = useBridgeHost();

describeProviderConformance({
  name: 'strapi bridge over @strapi/provider-upload-local',
  capabilities: capabilitiesOf({ emptyFiles: true }),
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
