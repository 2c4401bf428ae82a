import { AssertionError } from 'node:assert';
import { describe, expect, test } from '@jest/globals';
import { createMemoryStore, memoryProvider } from '../src/index.js';

describe('assertion helpers', () => {
  test('assertStored passes for a stored key and checks bytes, size and type when asked', async () => {
    const provider = memoryProvider({ prefix: 'tenant' });
    await provider.upload({ key: 'a/b.txt', body: Buffer.from('hello'), mime: 'text/plain', name: 'b.txt' });
    provider.assertStored('a/b.txt');
    provider.assertStored('a/b.txt', { bytes: 'hello', size: 5, mime: 'text/plain' });
    expect(() => provider.assertStored('a/b.txt', { bytes: 'hullo' })).toThrow(/holds other bytes/);
    expect(() => provider.assertStored('a/b.txt', { size: 4 })).toThrow(/holds 5 bytes, 4 expected/);
    expect(() => provider.assertStored('a/b.txt', { mime: 'image/png' })).toThrow(/stored as text\/plain/);
    expect(() => provider.assertStored('other.txt')).toThrow(AssertionError);
  });

  test('assertMissing passes for a key never stored or deleted, and fails for a stored one', async () => {
    const provider = memoryProvider({});
    provider.assertMissing('x.bin');
    const stored = await provider.upload({ key: 'x.bin', body: Buffer.from('x'), mime: 'text/plain', name: 'x' });
    expect(() => provider.assertMissing('x.bin')).toThrow(/expected "x.bin" to be missing/);
    await provider.delete(stored);
    provider.assertMissing('x.bin');
  });

  test('keys() lists only this provider’s keys, without its prefix; clear() removes only those', async () => {
    const store = createMemoryStore();
    const a = memoryProvider({ store, prefix: 'a' });
    const b = memoryProvider({ store, prefix: 'b' });
    for (const key of ['z.txt', 'dir/y.txt'])
      await a.upload({ key, body: Buffer.from(key), mime: 'text/plain', name: key });
    await b.upload({ key: 'w.txt', body: Buffer.from('w'), mime: 'text/plain', name: 'w' });
    expect(a.keys()).toEqual(['dir/y.txt', 'z.txt']);
    expect(store.keys()).toEqual(['a/dir/y.txt', 'a/z.txt', 'b/w.txt']);
    a.clear();
    expect(store.keys()).toEqual(['b/w.txt']);
  });

  test('bad options name each option', () => {
    expect(() => memoryProvider({ store: 'nope' as never, maxObjectSize: -1 })).toThrow(
      /store.*maxObjectSize|maxObjectSize.*store/s,
    );
  });
});
