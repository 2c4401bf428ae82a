import { fileURLToPath } from 'node:url';
import { expect, test } from '@jest/globals';
import { planConformance, plannedVerdict, runConformanceCli, verdictOf } from 'upload-provider-conformance';
import { cloudinaryProvider } from '../src/index.js';
import { conformanceOptions, DELIVERIES } from './support/conformance-options.mjs';
import { useTestCloud } from './support/setup.js';

const MODULE = fileURLToPath(new URL('./support/cli-conformance.mjs', import.meta.url));

// `npx upload-provider-conformance` runs the suite with node:test on the built provider (support/cli-conformance.mjs,
// the options conformance.test.ts gives Jest); its verdict must be the Jest run's: in every group the cases Jest runs
// pass, the cases Jest skips are skipped for the same reasons, nothing fails, and the command exits 0.

const cloud = useTestCloud();

test.each(DELIVERIES)("gives the Jest run's verdict with %s delivery", async (delivery) => {
  const { code, summary } = await runConformanceCli(MODULE, { options: { delivery, cloud: cloud.options() } });
  const capabilities = cloudinaryProvider.capabilitiesFor({ cloudName: 'demo', apiKey: 'k', apiSecret: 's', delivery });
  const jest = conformanceOptions(cloudinaryProvider, delivery, () => cloud.options());
  const plan = planConformance(jest, capabilities, delivery !== 'upload');
  expect(verdictOf(summary)).toEqual(plannedVerdict(plan));
  expect(summary.ok).toBe(true);
  expect(code).toBe(0);
});
