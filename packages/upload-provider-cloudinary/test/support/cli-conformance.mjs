// The module `npx upload-provider-conformance` runs (conformance-cli.test.ts): the built provider, with the options
// conformance.test.ts gives Jest. `--options` names the delivery type and carries the stand-in's provider options
// (its API URL and delivery host, and the test-only credentials it checks signatures with).
import { cloudinaryProvider } from '../../dist/index.js';
import { conformanceOptions } from './conformance-options.mjs';

export function conformance({ delivery, cloud }) {
  return conformanceOptions(cloudinaryProvider, delivery, () => cloud);
}
