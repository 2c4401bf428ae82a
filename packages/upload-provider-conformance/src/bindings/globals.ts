// The main entry's `describeProviderConformance`: the runner is found through the globals Jest injects (as do
// Vitest with `globals: true` and Mocha). Kept for compatibility; the runner-specific bindings need no globals.
import type { UploadProvider } from 'upload-provider';
import type { ConformanceOptions } from '../options.js';
import { bindRunner, type TestRunner } from '../suite.js';

type Block = ((name: string, fn: () => unknown) => void) & { skip?: (name: string, fn: () => unknown) => void };
type Hook = (fn: () => unknown) => void;

export function describeProviderConformance<P extends UploadProvider>(options: ConformanceOptions<P>): void {
  bindRunner(runnerGlobals(options))(options);
}

function runnerGlobals(options: ConformanceOptions<never> | ConformanceOptions<UploadProvider>): TestRunner {
  const g = globalThis as unknown as Partial<Record<'describe' | 'test' | 'it', Block> & Record<string, Hook>>;
  const test = g.test ?? g.it;
  if (typeof g.describe !== 'function' || typeof test !== 'function') {
    throw new Error(
      'describeProviderConformance must be called in a test file run by Jest (or a runner with describe/test globals); without one, import it from upload-provider-conformance/node-test, or use runConformance(options).',
    );
  }
  const before = g.beforeAll ?? g.before;
  const after = g.afterAll ?? g.after;
  if ((options.setup && !before) || (options.teardown && !after))
    throw new Error('setup/teardown need the runner to have beforeAll/afterAll (or before/after) globals');
  const describe = g.describe;
  return {
    describe: (name, fn) => describe(name, fn),
    test: (name, fn) => test(name, fn),
    skip: (name, reason) => test.skip?.(`${name} (skipped: ${reason})`, () => {}),
    before: (fn) => before!(fn),
    after: (fn) => after!(fn),
  };
}
