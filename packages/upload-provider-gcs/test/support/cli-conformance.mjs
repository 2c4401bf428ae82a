// The module `npx upload-provider-conformance` runs (conformance-cli.test.ts): the built provider, with the options
// conformance.test.ts gives Jest. `--options` names the mode, the emulator's download route and its project; the
// test sets STORAGE_EMULATOR_HOST for the command. The service account is made here, like the Jest run's.
import { Socket } from 'node:net';
import { gcsProvider } from '../../dist/index.js';
import { conformanceOptions, MODES } from './conformance-options.mjs';
import { makeServiceAccount } from './signing.mjs';

export function conformance({ mode, baseUrl, projectId }) {
  const account = makeServiceAccount(projectId);
  return {
    ...conformanceOptions(gcsProvider, MODES[mode], { account, baseUrl: () => baseUrl }),
    // A refused or aborted upload (the "upload failures" cases) leaves the SDK's multipart request to the emulator
    // open, and the emulator keeps it open too, so this process would never end while the emulator runs (in Jest,
    // its stop() ends them). Let the process end without them; the leak itself is reported, not fixed, here.
    teardown() {
      for (const handle of process._getActiveHandles())
        if (handle instanceof Socket && handle.remotePort === Number(new URL(baseUrl).port)) handle.unref();
    },
  };
}
