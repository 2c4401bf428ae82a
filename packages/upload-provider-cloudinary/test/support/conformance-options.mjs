// How the suite runs against the Cloudinary stand-in, in plain JavaScript (types in conformance-options.d.mts) so
// that the Jest test (conformance.test.ts) and the CLI's module (cli-conformance.mjs) run exactly the same cases.

/** The delivery types under test: each runs the whole suite. */
export const DELIVERIES = ['upload', 'authenticated', 'private'];

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

// The real `cloudinary` SDK talks to a local stand-in for Cloudinary (fake-cloudinary.ts), which checks every request
// signature and signed URL with its own implementation of Cloudinary's algorithms and refuses expired or tampered
// ones itself, so `signedUrls` is enforced by the backend under test.
// `directUploadSize` is not: Cloudinary's signed upload parameters have no maximum size, and the stand-in does not
// invent one. The suite then checks that stat() reports an oversized upload's real size (the server's confirm step
// refuses it) and that delete() removes it.
const enforces = { directUploadSize: false };

/** The suite's options for one delivery type; `cloud()` (the stand-in's options) is read per case. */
export function conformanceOptions(factory, delivery, cloud) {
  return {
    name: `cloudinary (${delivery} delivery)`,
    create: () => factory({ ...cloud(), delivery, chunkSize: 5 * 1024 * 1024 }),
    cleanup: (provider) => provider.close?.(),
    factory,
    invalidOptions,
    enforces,
  };
}
