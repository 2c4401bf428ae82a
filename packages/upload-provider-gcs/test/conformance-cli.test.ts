import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { planConformance, plannedVerdict, runConformanceCli, verdictOf } from 'upload-provider-conformance';
import { gcsProvider } from '../src/index.js';
import { BUCKET, conformanceOptions, MODES } from './support/conformance-options.mjs';
import { type GcsEmulator, PROJECT_ID, startGcsEmulator } from './support/emulator.js';
import { makeServiceAccount } from './support/signing.mjs';

const MODULE = fileURLToPath(new URL('./support/cli-conformance.mjs', import.meta.url));

// `npx upload-provider-conformance` runs the suite with node:test on the built provider (support/cli-conformance.mjs,
// the options conformance.test.ts gives Jest); its verdict must be the Jest run's: in every group the cases Jest runs
// pass, the cases Jest skips are skipped for the same reasons, nothing fails, and the command exits 0.

let gcs: GcsEmulator;
beforeAll(async () => {
  gcs = await startGcsEmulator();
});
afterAll(() => gcs.stop());

const capabilities = gcsProvider.capabilitiesFor({ bucket: BUCKET });

test.each(Object.keys(MODES) as Array<keyof typeof MODES>)("gives the Jest run's verdict in %s mode", async (name) => {
  const mode = MODES[name];
  const baseUrl = gcs.downloadBase(BUCKET);
  const { code, summary } = await runConformanceCli(MODULE, {
    options: { mode: name, baseUrl, projectId: PROJECT_ID },
    env: { STORAGE_EMULATOR_HOST: gcs.host },
  });
  const jest = conformanceOptions(gcsProvider, mode, {
    account: makeServiceAccount(PROJECT_ID),
    baseUrl: () => baseUrl,
  });
  const plan = planConformance(jest, capabilities, mode.private);
  expect(verdictOf(summary)).toEqual(plannedVerdict(plan));
  expect(summary.ok).toBe(true);
  expect(code).toBe(0);
});
