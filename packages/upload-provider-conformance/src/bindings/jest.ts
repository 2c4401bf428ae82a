// `describeProviderConformance` registered with Jest through `@jest/globals`, not the injected globals.
import { afterAll, beforeAll, describe, test } from '@jest/globals';
import { bindRunner } from '../suite.js';

export const describeProviderConformance = bindRunner({
  describe,
  test: (name, fn) => test(name, fn),
  skip: (name, reason) => test.skip(`${name} (skipped: ${reason})`, () => {}),
  before: (fn) => beforeAll(fn),
  after: (fn) => afterAll(fn),
});
