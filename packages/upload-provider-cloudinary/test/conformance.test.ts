import { describeProviderConformance } from 'upload-provider-conformance';
import { cloudinaryProvider } from '../src/index.js';
import { conformanceOptions, DELIVERIES } from './support/conformance-options.mjs';
import { useTestCloud } from './support/setup.js';

// The options (and what the stand-in does not enforce) are in support/conformance-options.mjs, shared with the CLI's
// run.
const cloud = useTestCloud();

for (const delivery of DELIVERIES) {
  describeProviderConformance({
    ...conformanceOptions(cloudinaryProvider, delivery, () => cloud.options()),
    capabilities: cloudinaryProvider.capabilitiesFor({ cloudName: 'demo', apiKey: 'k', apiSecret: 's', delivery }),
    private: delivery !== 'upload',
  });
}
