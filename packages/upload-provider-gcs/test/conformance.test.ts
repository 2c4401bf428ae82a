import { afterAll, beforeAll } from '@jest/globals';
import { describeProviderConformance } from 'upload-provider-conformance';
import { gcsProvider } from '../src/index.js';
import { BUCKET, conformanceOptions, MODES } from './support/conformance-options.mjs';
import { type GcsEmulator, PROJECT_ID, startGcsEmulator } from './support/emulator.js';
import { makeServiceAccount } from './support/signing.mjs';

const account = makeServiceAccount(PROJECT_ID);
let gcs: GcsEmulator;

beforeAll(async () => {
  gcs = await startGcsEmulator();
});
afterAll(() => gcs.stop());

// What the provider declares for these options (no emulator needed to know it).
const capabilities = gcsProvider.capabilitiesFor({ bucket: BUCKET });

// The options (and what the emulator does not enforce) are in support/conformance-options.mjs, shared with the CLI's
// run.
for (const mode of Object.values(MODES)) {
  describeProviderConformance({
    ...conformanceOptions(gcsProvider, mode, { account, baseUrl: () => gcs.downloadBase(BUCKET) }),
    capabilities,
    private: mode.private,
  });
}
