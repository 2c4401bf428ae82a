// The CLI, run as users run it: a child process on built code, with node:test underneath.
import { describe, expect, test } from '@jest/globals';
import type { Summary } from '../src/cli/summary.js';
import { BROKEN } from './fixtures/broken.mjs';
import { CLI, runNode } from './run.js';

async function cli(...args: string[]) {
  const run = await runNode([CLI, ...args]);
  return { ...run, summary: args.includes('json') ? (JSON.parse(run.stdout) as Summary) : undefined };
}

const failuresOf = (s: Summary) => s.groups.flatMap((g) => g.failures.map((f) => `${g.group} › ${f.name}`));

describe('npx upload-provider-conformance', () => {
  test('a package with a ./conformance export passes with no options; skipped groups say why', async () => {
    const { code, summary } = await cli('upload-provider-memory', '--reporter', 'json');
    // Failures first, with their messages, so a red run names the case and says why.
    expect(summary!.groups.flatMap((g) => g.failures.map((f) => `${g.group} › ${f.name}: ${f.message}`))).toEqual([]);
    expect(summary!.errors).toEqual([]);
    expect(summary!.ok).toBe(true);
    expect(summary!.groups.find((g) => g.group === 'private')).toMatchObject({
      passed: 0,
      skipped: 1,
      why: ['the provider is public'],
    });
    expect(summary!.groups.find((g) => g.group === 'direct uploads')).toMatchObject({ passed: 6, failed: 0 });
    expect(code).toBe(0);
  });

  test('--options reaches the module: a private memory provider runs the private group', async () => {
    const { code, summary } = await cli(
      'upload-provider-memory',
      '--options',
      '{"private":true}',
      '--reporter',
      'json',
    );
    expect(summary!.groups.find((g) => g.group === 'private')).toMatchObject({ passed: 1, skipped: 0 });
    expect(code).toBe(0);
  });

  test('the table lists every group with its counts, and says the provider conforms', async () => {
    const { code, stdout } = await cli('upload-provider-memory');
    expect(stdout).toMatch(/^\| group +\| passed \| failed \| skipped \| why skipped +\|$/m);
    expect(stdout).toMatch(/^\| round trip +\| +6 \| +0 \| +0 \| +\|$/m);
    expect(stdout).toMatch(/^\| private +\| +0 \| +0 \| +1 \| the provider is public +\|$/m);
    expect(stdout).toMatch(/✔ conforms\n$/);
    expect(code).toBe(0);
  });

  for (const [defect, { fails }] of Object.entries(BROKEN)) {
    test(`exits 1 and names the failing cases for a provider with a defect: ${defect}`, async () => {
      const options = JSON.stringify({ defect });
      const { code, summary } = await cli('test/fixtures/broken.mjs', '--options', options, '--reporter', 'json');
      expect(summary!.ok).toBe(false);
      expect(failuresOf(summary!)).toEqual(expect.arrayContaining(fails));
      expect(code).toBe(1);
    });
  }

  test('a failing run prints the failure under the table', async () => {
    const { code, stdout } = await cli('test/fixtures/broken.mjs', '--options', '{"defect":"no-op delete"}');
    expect(stdout).toMatch(/^\| delete +\| +1 \| +1 \| +0 \| +\|$/m);
    expect(stdout).toContain('✖ delete › a deleted object no longer serves, and deleting again resolves');
    expect(stdout).toMatch(/✖ does not conform\n$/);
    expect(code).toBe(1);
  });

  test('--reporter tap prints node:test TAP', async () => {
    const { code, stdout } = await cli('test/fixtures/broken.mjs', '--reporter', 'tap');
    expect(stdout).toMatch(/^TAP version 13$/m);
    expect(stdout).toMatch(/^# fail 0$/m);
    expect(code).toBe(0);
  });

  test('a module that exports nothing to test fails with a message saying what to export', async () => {
    const { code, summary } = await cli('test/fixtures/empty.mjs', '--reporter', 'json');
    expect(summary!.ok).toBe(false);
    expect(summary!.errors.join('\n')).toMatch(/exports neither `conformance` nor a provider factory/);
    expect(code).toBe(1);
  });

  test('usage mistakes exit 2 with the usage', async () => {
    for (const args of [[], ['a', 'b'], ['upload-provider-memory', '--reporter', 'xml'], ['./missing.js']]) {
      const { code, stderr } = await cli(...args);
      expect(stderr).toMatch(/usage: upload-provider-conformance/);
      expect(code).toBe(2);
    }
    const { code, stderr } = await cli('upload-provider-memory', '--options', '{not json');
    expect(stderr).toMatch(/--options \(inline\) is not valid JSON/);
    expect(code).toBe(2);
  });
});
