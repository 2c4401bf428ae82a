import assert from 'node:assert/strict';
import { isProviderError } from 'upload-provider';
import { describeError } from './assert.js';
import { group, type Plan, type SuiteShape } from './plan.js';

export function invalidOptionCases(_s: SuiteShape): Plan {
  const g = group('options');

  g.test('invalid options are refused with INVALID_OPTIONS naming each option', async (ctx) => {
    for (const c of ctx.options.invalidOptions!) {
      let error: unknown;
      try {
        ctx.options.factory!(c.options as never);
      } catch (e) {
        error = e;
      }
      assert.ok(
        isProviderError(error, 'INVALID_OPTIONS'),
        `options ${JSON.stringify(c.options)} must throw INVALID_OPTIONS, got ${describeError(error)}`,
      );
      for (const word of c.mentions)
        assert.ok(error.message.includes(word), `the error must name "${word}": ${error.message}`);
    }
  });

  return g.plan;
}
