import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { planConformance, plannedVerdict, runConformanceCli, verdictOf } from 'upload-provider-conformance';
import { awsS3Provider } from '../src/index.js';
import { BUCKET, conformanceOptions, MODES } from './support/conformance-options.mjs';
import { type Emulator, startS3rver } from './support/emulator.js';

const MODULE = fileURLToPath(new URL('./support/cli-conformance.mjs', import.meta.url));

// `npx upload-provider-conformance` runs the suite with node:test on the built provider (support/cli-conformance.mjs,
// the options conformance.test.ts gives Jest); its verdict must be the Jest run's: in every group the cases Jest runs
// pass, the cases Jest skips are skipped for the same reasons, nothing fails, and the command exits 0.

let s3: Emulator;
beforeAll(async () => {
  s3 = await startS3rver([BUCKET]);
});
afterAll(() => s3.close());

const capabilities = awsS3Provider.capabilitiesFor({ bucket: BUCKET });

test.each(Object.keys(MODES) as Array<keyof typeof MODES>)("gives the Jest run's verdict in %s mode", async (name) => {
  const mode = MODES[name];
  const { code, summary } = await runConformanceCli(MODULE, { options: { mode: name, endpoint: s3.endpoint } });
  const plan = planConformance(
    conformanceOptions(awsS3Provider, mode, () => s3.endpoint),
    capabilities,
    mode.private,
  );
  expect(verdictOf(summary)).toEqual(plannedVerdict(plan));
  expect(summary.ok).toBe(true);
  expect(code).toBe(0);
});
