// How the suite runs against s3rver, in plain JavaScript (types in conformance-options.d.mts) so that the Jest test
// (conformance.test.ts) and the CLI's module (cli-conformance.mjs) run exactly the same cases.
import { CREDENTIALS, REGION } from './account.mjs';
import { verifyPresignedUrl } from './sigv4.mjs';

export const BUCKET = 'conformance';
const MiB = 1024 * 1024;

/** The provider's modes under test: each runs the whole suite. */
export const MODES = {
  private: { name: 'aws-s3 (private, s3rver)', private: true, options: { visibility: 'private' } },
  public: {
    name: 'aws-s3 (public, with a prefix, s3rver)',
    private: false,
    options: { visibility: 'public', prefix: 'site/assets' },
  },
};

const invalidOptions = [
  { options: { bucket: '' }, mentions: ['bucket'] },
  { options: { bucket: 'b', partSize: 1024 }, mentions: ['partSize'] },
  { options: { bucket: 'b', urlExpiresIn: 604_801, kmsKeyId: 'key' }, mentions: ['urlExpiresIn', 'kmsKeyId'] },
  { options: { bucket: 'b', endpoint: 'nope', visibility: 'world' }, mentions: ['endpoint', 'visibility'] },
];

// What s3rver does not enforce, and how the suite checks it instead:
// - signedUrls: s3rver checks a presigned URL's access key and expiry but never its SigV4 signature, so a tampered
//   URL would still be served; verifySignedUrl recomputes the signature from the test credentials with
//   @smithy/signature-v4 and checks the expiry (see sigv4.mjs).
// - directUploadPolicy: s3rver stores any POST without reading its policy, so the suite decodes the signed policy
//   and asserts each condition (size range, type, exact key, expiry).
// - privateUrls: s3rver has no ACLs and serves every object to anyone, so a private object's plain URL cannot be
//   refused here; upload.test.ts shows which ACL header (none, for private) each upload sends.
// - atomicOverwrite: s3rver streams each PUT straight into the object's file (fs.createWriteStream on the final path,
//   no temp file and rename: lib/stores/filesystem.js), so two concurrent PUTs to one key can interleave there,
//   which real S3 never does. The case ran flaky here for that reason alone.
const enforces = { signedUrls: false, directUploadPolicy: false, privateUrls: false, atomicOverwrite: false };

/** The suite's options for one mode; `endpoint()` is read per case, since s3rver starts after registration. */
export function conformanceOptions(factory, mode, endpoint) {
  return {
    name: mode.name,
    create: () =>
      factory({
        bucket: BUCKET,
        region: REGION,
        endpoint: endpoint(),
        forcePathStyle: true,
        credentials: CREDENTIALS,
        // Small parts, so the suite's large file goes through a real multipart upload.
        partSize: 5 * MiB,
        ...mode.options,
      }),
    cleanup: (provider) => provider.close(),
    factory,
    invalidOptions,
    enforces,
    verifySignedUrl: (url, now) => verifyPresignedUrl(url, now),
    largeFileBytes: 12 * MiB,
  };
}
