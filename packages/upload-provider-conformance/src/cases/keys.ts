import assert from 'node:assert/strict';
import { buildKey } from 'upload-provider';
import { sha256 } from '../bytes.js';
import { assertStored, expectCode } from './assert.js';
import { ESCAPING_KEYS, HOSTILE_NAMES } from './names.js';
import { group, type Plan, type SuiteShape } from './plan.js';
import { upload } from './upload.js';

export function keyCases(_s: SuiteShape): Plan {
  const g = group('keys');

  g.test('keys built from unicode and hostile names store and serve', async (ctx) => {
    for (const name of HOSTILE_NAMES) {
      const key = buildKey(name, { prefix: ctx.key('names').replace(/\/[^/]*$/, '') });
      const bytes = Buffer.from(`name: ${name.slice(0, 64)}`);
      const stored = await upload(ctx, bytes, { key, name, mime: 'text/plain' });
      assert.equal(stored.key, key);
      await assertStored(ctx, stored, sha256(bytes), bytes.byteLength);
    }
  });

  g.test('a key with spaces and unicode is stored and served under that exact key', async (ctx) => {
    const key = ctx.key('ünïcødé файл #1 ?&=+.txt');
    const bytes = Buffer.from('unicode key');
    const stored = await upload(ctx, bytes, { key, mime: 'text/plain' });
    assert.equal(stored.key, key);
    await assertStored(ctx, stored, sha256(bytes), bytes.byteLength);
  });

  g.test('keys that could escape are refused by every method with INVALID_INPUT', async (ctx) => {
    const p = ctx.provider;
    for (const key of ESCAPING_KEYS) {
      const label = JSON.stringify(key);
      await expectCode(
        p.upload({ key, body: Buffer.from('x'), mime: 'text/plain', name: 'x.txt' }),
        ['INVALID_INPUT'],
        `upload(${label})`,
      );
      await expectCode(p.delete({ key }), ['INVALID_INPUT'], `delete(${label})`);
      await expectCode(p.signUrl({ key }), ['INVALID_INPUT'], `signUrl(${label})`);
      if (p.capabilities.stat) await expectCode(p.stat!({ key }), ['INVALID_INPUT'], `stat(${label})`);
      if (p.capabilities.read) await expectCode(p.read!({ key }), ['INVALID_INPUT'], `read(${label})`);
      if (p.capabilities.directUpload) {
        await expectCode(
          p.createDirectUpload!({ key, mime: 'text/plain', maxSize: 10 }),
          ['INVALID_INPUT'],
          `createDirectUpload(${label})`,
        );
      }
    }
  });

  return g.plan;
}
