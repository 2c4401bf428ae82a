// The suite must fail providers that break the contract: each defect in fixtures/broken.mjs must fail the cases
// that guard against it, through runConformance here and through the CLI's node:test run in cli.test.ts.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { memoryProvider, serveMemory } from 'upload-provider-memory';
import { type CaseResult, runConformance } from '../src/index.js';
import { BROKEN } from './fixtures/broken.mjs';

let server: Awaited<ReturnType<typeof serveMemory>>;
beforeAll(async () => {
  server = await serveMemory();
});
afterAll(() => server.close());

const base = () => ({ store: server.store, baseUrl: server.baseUrl });

function failures(results: CaseResult[]): string[] {
  return results.filter((r) => !r.ok).map((r) => `${r.group} › ${r.name}`);
}

describe('the conformance suite', () => {
  test('passes the memory provider, public and private, and it leaves nothing behind', async () => {
    for (const priv of [false, true]) {
      const results = await runConformance({
        name: 'memory',
        create: () => memoryProvider({ ...base(), private: priv }),
        largeFileBytes: 1024 * 1024,
      });
      expect(failures(results)).toEqual([]);
      expect(results.length).toBeGreaterThan(30);
    }
    expect(server.store.keys()).toEqual([]);
  });

  for (const [defect, { make, fails, exact }] of Object.entries(BROKEN)) {
    test(`fails a provider with a defect: ${defect}`, async () => {
      const results = await runConformance({ name: defect, create: () => make(base()), largeFileBytes: 1024 * 1024 });
      if (exact) expect(failures(results)).toEqual(fails);
      else expect(failures(results)).toEqual(expect.arrayContaining(fails));
    });
  }
});
