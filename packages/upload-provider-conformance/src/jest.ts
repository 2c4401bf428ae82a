import { isProviderError, type UploadProvider } from 'upload-provider';
import type { ConformanceOptions } from './options.js';
import { casesFor, runCase } from './runner.js';

/**
 * Registers the conformance suite as Jest tests: one `describe` per group, one `test` per case. The cases are chosen
 * from the provider's declared capabilities (read from a provider made now, or from `options.capabilities` and
 * `options.private`); what the backend under test does not enforce is named in the suite's title.
 */
export function describeProviderConformance<P extends UploadProvider>(options: ConformanceOptions<P>): void {
  const { capabilities, isPrivate } = declaredShape(options);
  const notChecked = Object.entries(options.enforces ?? {})
    .filter(([, v]) => v === false)
    .map(([k]) => k);
  const title = `${options.name} conforms to the upload-provider contract${
    notChecked.length ? ` (not enforced by the backend under test, checked another way: ${notChecked.join(', ')})` : ''
  }`;
  const cases = casesFor(options, capabilities, isPrivate);
  const { describe, test } = runnerGlobals();
  describe(title, () => {
    const groups = [...new Set(cases.map((c) => c.group))];
    for (const group of groups) {
      describe(group, () => {
        for (const c of cases.filter((x) => x.group === group)) test(c.name, () => runCase(options, c));
      });
    }
  });
}

function declaredShape<P extends UploadProvider>(options: ConformanceOptions<P>) {
  if (options.capabilities && options.private !== undefined) {
    return { capabilities: options.capabilities, isPrivate: options.private };
  }
  let provider: P | Promise<P>;
  try {
    provider = options.create();
  } catch (error) {
    throw new Error(
      `describeProviderConformance: create() failed while the tests were being registered (${
        isProviderError(error) ? error.message : String(error)
      }). If it needs something started in beforeAll, pass \`capabilities\` and \`private\` to describeProviderConformance.`,
      { cause: error },
    );
  }
  if (provider instanceof Promise) {
    provider.catch(() => undefined);
    throw new Error(
      'describeProviderConformance: create() is asynchronous, so pass `capabilities` and `private` to describeProviderConformance (they are checked against the provider when the cases run).',
    );
  }
  const shape = { capabilities: { ...provider.capabilities }, isPrivate: provider.isPrivate() };
  void Promise.resolve(options.cleanup?.(provider)).catch(() => undefined);
  return shape;
}

type Block = (name: string, fn: () => void | Promise<void>) => void;

/** The `describe`/`test` globals that Jest injects (as do Vitest with `globals: true` and Mocha, as `it`). */
function runnerGlobals(): { describe: Block; test: Block } {
  const g = globalThis as { describe?: Block; test?: Block; it?: Block };
  const test = g.test ?? g.it;
  if (typeof g.describe !== 'function' || typeof test !== 'function') {
    throw new Error(
      'describeProviderConformance must be called in a test file run by Jest (or a runner with describe/test globals); without one, use runConformance(options).',
    );
  }
  return { describe: g.describe, test };
}
