// The node:test binding, proven by a real `node --test` run of a one-call test file (built dist, as users get it).
import { describe, expect, test } from '@jest/globals';
import { runNode } from './run.js';

const FILE = 'test/fixtures/node-test-binding.mjs';

describe('upload-provider-conformance/node-test', () => {
  test('node --test runs the whole suite on the memory provider and it passes', async () => {
    const { code, stdout } = await runNode(['--test', '--test-reporter=tap', FILE]);
    expect(stdout).toMatch(/^# fail 0$/m);
    expect(Number(/^# pass (\d+)$/m.exec(stdout)?.[1])).toBeGreaterThan(30);
    // The public provider's private group is reported as skipped, with the reason.
    expect(stdout).toMatch(/# SKIP the provider is public/);
    expect(code).toBe(0);
  });

  test('node --test fails, naming the case, when the provider has a defect', async () => {
    const { code, stdout } = await runNode(['--test', '--test-reporter=tap', FILE], { DEFECT: 'no-op delete' });
    expect(stdout).toMatch(/^# fail [1-9]\d*$/m);
    expect(stdout).toMatch(/not ok \d+ - a deleted object no longer serves, and deleting again resolves/);
    expect(code).toBe(1);
  });
});
