// The test file the CLI hands to `node --test`: loads the module under test, runs its set-up, then registers the
// suite with the node:test binding, using the capabilities of a provider made after the set-up.
import { pathToFileURL } from 'node:url';
import { describeProviderConformance } from '../bindings/node-test.js';
import { inspectProvider } from '../runner.js';
import { conformanceFrom } from './load.js';

const file = process.env.UPLOAD_PROVIDER_CONFORMANCE_MODULE;
if (!file) throw new Error('run this file through the upload-provider-conformance command');
const rawOptions = process.env.UPLOAD_PROVIDER_CONFORMANCE_OPTIONS;
const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
const { setup, teardown, ...options } = await conformanceFrom(
  mod,
  rawOptions === undefined ? undefined : JSON.parse(rawOptions),
  process.env.UPLOAD_PROVIDER_CONFORMANCE_LABEL ?? file,
);
await setup?.();
let shape: Awaited<ReturnType<typeof inspectProvider>>;
try {
  shape = await inspectProvider(options);
} catch (error) {
  await teardown?.();
  throw error;
}
describeProviderConformance({ ...options, teardown, capabilities: shape.capabilities, private: shape.isPrivate });
