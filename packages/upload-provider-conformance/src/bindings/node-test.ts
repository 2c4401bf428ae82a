// `describeProviderConformance` registered with node:test: `node --test` runs it, no other runner needed.
import { after, before, describe, test } from 'node:test';
import { bindRunner } from '../suite.js';

export const describeProviderConformance = bindRunner({
  describe: (name, fn) => void describe(name, fn),
  test: (name, fn) => void test(name, fn),
  skip: (name, reason) => void test(name, { skip: reason }),
  before: (fn) => before(fn),
  after: (fn) => after(fn),
});
