// How the suite runs against the firebase-tools Storage emulator, in plain JavaScript (types in
// conformance-options.d.mts) so that the Jest test (conformance.test.ts) and the CLI's module (cli-conformance.mjs)
// run exactly the same cases.
import { verifyV4SignedUrl } from './signing.mjs';

export const BUCKET = 'conformance';
const MiB = 1024 * 1024;

/** The provider's modes under test: each runs the whole suite. */
export const MODES = {
  private: { name: 'gcs (private, firebase-tools emulator)', private: true, options: { visibility: 'private' } },
  public: {
    name: 'gcs (public bucket, prefix, resumable from 256 KiB, firebase-tools emulator)',
    private: false,
    // A low threshold sends most of the suite's files through resumable sessions (one streamed request each).
    options: { visibility: 'public-bucket', prefix: 'site/assets', resumableThreshold: 256 * 1024 },
  },
};

const invalidOptions = [
  { options: { bucket: '' }, mentions: ['bucket'] },
  { options: { bucket: 'b-1', urlExpiresIn: 604_801 }, mentions: ['urlExpiresIn'] },
  {
    options: { bucket: 'b-1', visibility: 'public', resumableThreshold: -1 },
    mentions: ['visibility', 'resumableThreshold'],
  },
  {
    options: { bucket: 'b-1', credentials: '{"client_email":"a@b"}', baseUrl: 'cdn' },
    mentions: ['credentials', 'baseUrl'],
  },
];

// What the firebase-tools Storage emulator does not enforce, and how the suite checks it instead:
// - signedUrls: the emulator serves any URL under /<bucket>/<key> and ignores X-Goog-Signature and X-Goog-Expires, so
//   verifySignedUrl rebuilds the V4 canonical request and string to sign with our own code and verifies the
//   signature with the public half of an RSA key made at test time, then checks X-Goog-Date + X-Goog-Expires.
// - directUploadPolicy: the emulator stores any form POST without reading its policy, so the suite decodes the
//   signed policy and asserts each condition (size range, type, exact key, expiry); direct-upload.test.ts also
//   verifies the policy's signature.
// - privateUrls: the emulator has no ACLs or IAM and serves every object to anyone, so a private object's plain URL
//   cannot be refused here.
// - downloadName: the emulator ignores `response-content-disposition` (Cloud Storage applies it to signed GETs), so
//   the suite checks that the signed URL asks for the attachment under the name, and verifySignedUrl that the
//   signature covers it.
const enforces = { signedUrls: false, directUploadPolicy: false, privateUrls: false, downloadName: false };

/**
 * The suite's options for one mode. `account` signs (see signing.mjs); `baseUrl()`, the emulator's download route
 * `<host>/<bucket>` (as a CDN in front of the bucket would be), is read per case, since the emulator starts after
 * registration. STORAGE_EMULATOR_HOST must point at the emulator.
 */
export function conformanceOptions(factory, mode, { account, baseUrl }) {
  return {
    name: mode.name,
    create: () => factory({ bucket: BUCKET, credentials: account.credentials, baseUrl: baseUrl(), ...mode.options }),
    cleanup: (provider) => provider.close(),
    factory,
    invalidOptions,
    enforces,
    verifySignedUrl: (url, now) => verifyV4SignedUrl(url, account, now),
    largeFileBytes: 12 * MiB,
  };
}
