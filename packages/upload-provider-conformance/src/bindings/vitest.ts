// `describeProviderConformance` registered with Vitest's own exports (no `globals: true` needed).
import { afterAll, beforeAll, describe, test } from 'vitest';
import { bindRunner } from '../suite.js';

export const describeProviderConformance = bindRunner({
  describe: (name, fn) => describe(name, fn),
  test: (name, fn) => test(name, fn),
  skip: (name, reason) => test.skip(`${name} (skipped: ${reason})`, () => {}),
  before: (fn) => beforeAll(fn),
  after: (fn) => afterAll(fn),
});
