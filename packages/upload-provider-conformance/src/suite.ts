import type { UploadProvider } from 'upload-provider';
import type { ConformanceOptions } from './options.js';
import { declaredShape, planConformance, runCase } from './runner.js';

/** What a binding hands the suite: its runner's way to group, register, skip and hook. */
export interface TestRunner {
  describe(name: string, fn: () => void): void;
  test(name: string, fn: () => Promise<void>): void;
  /** Registers a test the runner reports as skipped, with the reason. */
  skip(name: string, reason: string): void;
  before(fn: () => void | Promise<void>): void;
  after(fn: () => void | Promise<void>): void;
}

/** `describeProviderConformance` for one runner: one `describe` per group, one test per case. */
export function bindRunner(runner: TestRunner) {
  return function describeProviderConformance<P extends UploadProvider>(options: ConformanceOptions<P>): void {
    const { capabilities, isPrivate } = declaredShape(options);
    const plan = planConformance(options, capabilities, isPrivate);
    runner.describe(suiteTitle(options), () => {
      if (options.setup) runner.before(() => options.setup!());
      if (options.teardown) runner.after(() => options.teardown!());
      const groups = [...new Set([...plan.cases, ...plan.skipped].map((c) => c.group))];
      for (const group of groups) {
        runner.describe(group, () => {
          for (const c of plan.cases.filter((x) => x.group === group)) runner.test(c.name, () => runCase(options, c));
          for (const s of plan.skipped.filter((x) => x.group === group)) runner.skip(s.name ?? group, s.reason);
        });
      }
    });
  };
}

/** The suite's title names what the backend under test does not enforce (and is checked another way). */
export function suiteTitle(options: Pick<ConformanceOptions, 'name' | 'enforces'>): string {
  const notChecked = Object.entries(options.enforces ?? {})
    .filter(([, v]) => v === false)
    .map(([k]) => k);
  return `${options.name} conforms to the upload-provider contract${
    notChecked.length ? ` (not enforced by the backend under test, checked another way: ${notChecked.join(', ')})` : ''
  }`;
}
