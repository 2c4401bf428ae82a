import { describeProviderConformance } from 'upload-provider-conformance/node-test';
import { conformance } from '../src/conformance.js';

describeProviderConformance(conformance());
