import assert from 'node:assert/strict';
import { assertProvider } from 'upload-provider';
import { group, type Plan, type SuiteShape } from './plan.js';

export function contractCases(s: SuiteShape): Plan {
  const g = group('contract');

  g.test('declares a name, capabilities and the methods they promise', async (ctx) => {
    assertProvider(ctx.provider);
    const p = ctx.provider;
    for (const [cap, method] of [
      ['read', 'read'],
      ['stat', 'stat'],
      ['directUpload', 'createDirectUpload'],
    ] as const) {
      if (p.capabilities[cap])
        assert.equal(typeof p[method], 'function', `capabilities.${cap} is true but ${method}() is missing`);
    }
    if (p.capabilities.rangeRead) assert.ok(p.capabilities.read, 'rangeRead needs read');
    assert.equal(typeof p.isPrivate(), 'boolean');
    // The cases were chosen from these; a provider that declares otherwise would skip cases unseen.
    assert.deepEqual(
      { ...p.capabilities },
      { ...s.capabilities },
      'capabilities differ from those the suite was set up with',
    );
    assert.equal(p.isPrivate(), s.isPrivate, 'isPrivate() differs from what the suite was set up with');
  });

  return g.plan;
}
