import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { describeProviderConformance } from 'upload-provider-conformance';
// The aws-s3 package's own SigV4 check (recomputed with @smithy/signature-v4), not a copy of it.
import { verifyPresignedUrl } from '../../upload-provider-aws-s3/test/support/sigv4.mjs';
import { type MirrorProvider, mirrorProvider } from '../src/index.js';
import { type LocalSite, type S3, startLocal, startS3 } from './support.js';

// Every case runs against a mirror of local (served over HTTP) and s3rver, both ways round: what the suite reads,
// signs and fetches comes from the primary, and every object it writes must reach both, and leave both when deleted.
const BUCKET = 'mirror-conformance';
let s3: S3;
let site: LocalSite;
beforeAll(async () => {
  [s3, site] = await Promise.all([startS3([BUCKET]), startLocal()]);
});
afterAll(async () => {
  await Promise.all([s3?.close(), site?.close()]);
});

// What a mirror of these two declares, from the factory (nothing is created) rather than restated.
const ALL = mirrorProvider.capabilitiesFor({
  primary: { name: 'local', options: { root: tmpdir() } },
  mirrors: [{ name: 'aws-s3', options: { bucket: 'any' } }],
});

const invalidOptions = [
  { options: {}, mentions: ['primary', 'mirrors'] },
  { options: { primary: 'local', mirrors: [] }, mentions: ['mirrors'] },
  { options: { primary: { name: 'local', options: {} }, mirrors: ['local'] }, mentions: ['primary.options.root'] },
  {
    options: { primary: 'no-such-backend', mirrors: [{ nmae: 'x' }] },
    mentions: ['upload-provider-no-such-backend', 'mirrors.0'],
  },
  { options: { primary: 'local', mirrors: ['local'], mode: 'best-effort' }, mentions: ['repairLog'] },
  { options: { primary: 'local', mirrors: ['local'], mode: 'sometimes' }, mentions: ['mode'] },
];

describe('local primary, s3rver mirror (private)', () => {
  describeProviderConformance<MirrorProvider>({
    name: 'mirror: local (private, over HTTP) + aws-s3 (s3rver)',
    capabilities: ALL,
    private: true,
    create: () =>
      mirrorProvider({
        primary: site.provider({ private: true }),
        mirrors: [{ name: 'aws-s3', options: { ...s3.options(BUCKET, { prefix: 'a' }) } }],
      }),
    cleanup: (p) => p.close(),
    factory: mirrorProvider,
    invalidOptions,
    largeFileBytes: 12 * 1024 * 1024,
  });

  test('the suite left nothing in either store', async () => {
    expect(site.files()).toEqual([]);
    expect(await s3.keys(BUCKET)).toEqual([]);
  });
});

describe('s3rver primary, local mirror (public)', () => {
  // s3rver checks neither SigV4 signatures nor POST policies, and writes objects in place (see upload-provider-aws-s3's
  // conformance test): signatures are recomputed and policies decoded instead.
  describeProviderConformance<MirrorProvider>({
    name: 'mirror: aws-s3 (public, s3rver) + local',
    capabilities: ALL,
    private: false,
    create: () =>
      mirrorProvider({
        primary: { name: 'aws-s3', options: { ...s3.options(BUCKET, { prefix: 'b', visibility: 'public' }) } },
        mirrors: [{ name: 'local', options: site.options({ prefix: 'b' }) }],
      }),
    cleanup: (p) => p.close(),
    enforces: { signedUrls: false, directUploadPolicy: false, atomicOverwrite: false },
    verifySignedUrl: (url, now) => verifyPresignedUrl(url, now),
    largeFileBytes: 12 * 1024 * 1024,
  });

  test('the suite left nothing in either store', async () => {
    expect(site.files()).toEqual([]);
    expect(await s3.keys(BUCKET)).toEqual([]);
  });
});
