import { AssertionError } from 'node:assert';
import type { MemoryStore } from './store.js';

/** Checks a test makes on what a memory provider stored, by the keys the provider was given (no prefix). */
export interface MemoryAssertions {
  /** Throws unless `key` is stored; with `expected`, unless its bytes (or size) and type match too. */
  assertStored(key: string, expected?: { bytes?: Uint8Array | string; size?: number; mime?: string }): void;
  /** Throws when `key` is stored. */
  assertMissing(key: string): void;
  /** The keys stored under this provider's prefix, sorted, without the prefix. */
  keys(): string[];
  /** Removes every object under this provider's prefix. */
  clear(): void;
}

export function memoryAssertions(
  store: MemoryStore,
  fullKey: (key: string) => string,
  prefix: string,
): MemoryAssertions {
  const own = (key: string) =>
    prefix === '' ? key : key.startsWith(`${prefix}/`) ? key.slice(prefix.length + 1) : null;
  const fail = (message: string, details: { actual?: unknown; expected?: unknown } = {}) =>
    new AssertionError({ message, ...details, operator: 'assertStored' });
  const keys = () => store.keys().flatMap((k) => own(k) ?? []);
  return {
    assertStored(key, expected = {}) {
      const object = store.get(fullKey(key));
      if (!object) throw fail(`expected ${JSON.stringify(key)} to be stored; stored keys: ${JSON.stringify(keys())}`);
      if (expected.bytes !== undefined) {
        const want = Buffer.from(expected.bytes);
        if (!object.bytes.equals(want))
          throw fail(
            `${JSON.stringify(key)} holds other bytes (${object.bytes.length} stored, ${want.length} expected)`,
          );
      }
      if (expected.size !== undefined && object.bytes.length !== expected.size)
        throw fail(`${JSON.stringify(key)} holds ${object.bytes.length} bytes, ${expected.size} expected`, {
          actual: object.bytes.length,
          expected: expected.size,
        });
      if (expected.mime !== undefined && object.mime !== expected.mime)
        throw fail(`${JSON.stringify(key)} is stored as ${object.mime}, ${expected.mime} expected`, {
          actual: object.mime,
          expected: expected.mime,
        });
    },
    assertMissing(key) {
      if (store.get(fullKey(key))) throw fail(`expected ${JSON.stringify(key)} to be missing, but it is stored`);
    },
    keys,
    clear() {
      for (const key of store.keys()) if (own(key) !== null) store.remove(key);
    },
  };
}
