import { afterAll, beforeAll } from '@jest/globals';
import { describeProviderConformance } from 'upload-provider-conformance';
import { awsS3Provider } from '../src/index.js';
import { BUCKET, conformanceOptions, MODES } from './support/conformance-options.mjs';
import { type Emulator, startS3rver } from './support/emulator.js';

let s3: Emulator;

beforeAll(async () => {
  s3 = await startS3rver([BUCKET]);
});
afterAll(() => s3.close());

// What the provider declares for these options (no emulator needed to know it).
const capabilities = awsS3Provider.capabilitiesFor({ bucket: BUCKET });

// The options (and what s3rver does not enforce) are in support/conformance-options.mjs, shared with the CLI's run.
for (const mode of Object.values(MODES)) {
  describeProviderConformance({
    ...conformanceOptions(awsS3Provider, mode, () => s3.endpoint),
    capabilities,
    private: mode.private,
  });
}
