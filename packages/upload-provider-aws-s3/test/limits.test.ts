import { describe, expect, test } from '@jest/globals';
import { S3_LIMITS } from '../src/index.js';
import { effectivePartSize, uploadLimit } from '../src/upload.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

// S3 accepts at most 10,000 parts; these are the sizes the provider hands to lib-storage (multi-GiB bodies are too
// big to upload in a test, so the arithmetic is checked here and the streaming path in upload.test.ts).
describe('part sizes and limits', () => {
  test('a known size keeps the configured part size while 10,000 parts suffice', () => {
    expect(effectivePartSize(8 * MiB, 1 * GiB)).toBe(8 * MiB);
    expect(effectivePartSize(8 * MiB, 8 * MiB * 10_000)).toBe(8 * MiB);
  });

  test('a known size too large for 10,000 parts of that size gets bigger parts', () => {
    const size = 200 * GiB;
    const part = effectivePartSize(8 * MiB, size);
    expect(part).toBeGreaterThan(8 * MiB);
    expect(Math.ceil(size / part)).toBeLessThanOrEqual(S3_LIMITS.maxParts);
    expect(effectivePartSize(5 * MiB, S3_LIMITS.maxObjectSize)).toBeLessThanOrEqual(S3_LIMITS.maxPartSize);
  });

  test('an unknown size may reach partSize × 10,000 bytes, and never more than 5 TiB', () => {
    expect(uploadLimit(8 * MiB, undefined)).toBe(8 * MiB * 10_000);
    expect(uploadLimit(5 * GiB, undefined)).toBe(S3_LIMITS.maxObjectSize);
    expect(uploadLimit(8 * MiB, 1234)).toBe(1234);
  });
});
