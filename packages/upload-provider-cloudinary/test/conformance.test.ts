import { describeProviderConformance } from 'upload-provider-conformance';
import { cloudinaryProvider } from '../src/index.js';
import { useTestCloud } from './support/setup.js';

// The real `cloudinary` SDK talks to a local stand-in for Cloudinary (test/support/fake-cloudinary.ts), which checks
// every request signature and signed URL with its own implementation of Cloudinary's algorithms and refuses expired
// or tampered ones itself, so `signedUrls` is enforced by the backend under test.
// `directUploadSize` is not: Cloudinary's signed upload parameters have no maximum size, and the stand-in does not
// invent one. The suite then checks that stat() reports an oversized upload's real size (the server's confirm step
// refuses it) and that delete() removes it.
const cloud = useTestCloud();

const invalidOptions = [
  {
    options: { cloudName: 'has space', apiKey: '', apiSecret: 'x', chunkSize: 1000 },
    mentions: ['cloudName', 'apiKey', 'chunkSize'],
  },
  {
    options: { cloudName: 'c', apiKey: 'k', apiSecret: 's', delivery: 'public', urlExpiresIn: -1 },
    mentions: ['delivery', 'urlExpiresIn'],
  },
  {
    options: { cloudName: 'c', apiKey: 'k', apiSecret: 's', folder: '../up', bucket: 'x' },
    mentions: ['folder', 'bucket'],
  },
];

for (const delivery of ['upload', 'authenticated', 'private'] as const) {
  describeProviderConformance({
    name: `cloudinary (${delivery} delivery)`,
    create: () => cloud.make({ delivery, chunkSize: 5 * 1024 * 1024 }),
    cleanup: (p) => p.close?.(),
    factory: cloudinaryProvider,
    invalidOptions,
    capabilities: cloudinaryProvider.capabilitiesFor({ cloudName: 'demo', apiKey: 'k', apiSecret: 's', delivery }),
    private: delivery !== 'upload',
    enforces: { directUploadSize: false },
  });
}
