// The module `npx upload-provider-conformance` runs (conformance-cli.test.ts): the built provider, with the options
// conformance.test.ts gives Jest. `--options` names the mode and the endpoint of the s3rver the test started.
import { awsS3Provider } from '../../dist/index.js';
import { conformanceOptions, MODES } from './conformance-options.mjs';

export function conformance({ mode, endpoint }) {
  return conformanceOptions(awsS3Provider, MODES[mode], () => endpoint);
}
