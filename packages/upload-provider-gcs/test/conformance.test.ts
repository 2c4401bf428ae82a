import { afterAll, beforeAll } from '@jest/globals';
import { describeProviderConformance } from 'upload-provider-conformance';
import { type GcsProviderOptions, gcsProvider } from '../src/index.js';
import { type GcsEmulator, PROJECT_ID, startGcsEmulator } from './support/emulator.js';
import { makeServiceAccount, verifyV4SignedUrl } from './support/signing.js';

const BUCKET = 'conformance';
const MiB = 1024 * 1024;
const account = makeServiceAccount(PROJECT_ID);
let gcs: GcsEmulator;

beforeAll(async () => {
  gcs = await startGcsEmulator();
});
afterAll(() => gcs.stop());

// What the provider declares for these options (no emulator needed to know it).
const capabilities = gcsProvider.capabilitiesFor({ bucket: BUCKET });

function provider(extra: Partial<GcsProviderOptions>) {
  return gcsProvider({
    bucket: BUCKET,
    credentials: account.credentials,
    // Plain URLs go to the emulator's download route, `<host>/<bucket>/<key>`, as they would to a CDN in front of
    // the bucket.
    baseUrl: gcs.downloadBase(BUCKET),
    ...extra,
  });
}

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
const verifySignedUrl = (url: string, now: Date) => verifyV4SignedUrl(url, account, now);

describeProviderConformance({
  name: 'gcs (private, firebase-tools emulator)',
  create: () => provider({ visibility: 'private' }),
  cleanup: (p) => p.close(),
  factory: gcsProvider,
  invalidOptions,
  enforces,
  verifySignedUrl,
  largeFileBytes: 12 * MiB,
  capabilities,
  private: true,
});

describeProviderConformance({
  name: 'gcs (public bucket, prefix, resumable from 256 KiB, firebase-tools emulator)',
  // A low threshold sends most of the suite's files through resumable sessions (one streamed request each).
  create: () => provider({ visibility: 'public-bucket', prefix: 'site/assets', resumableThreshold: 256 * 1024 }),
  cleanup: (p) => p.close(),
  factory: gcsProvider,
  invalidOptions,
  enforces,
  verifySignedUrl,
  largeFileBytes: 12 * MiB,
  capabilities,
  private: false,
});
