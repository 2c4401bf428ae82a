import { describe, expect, test } from '@jest/globals';
import { etagMatches, parseRange } from '../src/index.js';

describe('parseRange', () => {
  test.each([
    ['bytes=0-9', 100, { start: 0, end: 9 }],
    ['bytes=90-', 100, { start: 90, end: 99 }],
    ['bytes=90-500', 100, { start: 90, end: 99 }],
    ['bytes=-10', 100, { start: 90, end: 99 }],
    ['bytes=-500', 100, { start: 0, end: 99 }],
    ['BYTES= 1 - 2', 100, { start: 1, end: 2 }],
  ])('%s of %d bytes is one range', (header, size, range) => {
    expect(parseRange(header, size)).toEqual(range);
  });

  test.each([
    ['bytes=100-', 100],
    ['bytes=-0', 100],
    ['bytes=-5', 0],
  ])('%s of %d bytes cannot be satisfied', (header, size) => {
    expect(parseRange(header, size)).toBe('unsatisfiable');
  });

  test.each([undefined, '', 'bytes=0-1,5-6', 'items=0-1', 'bytes=-', 'bytes=9-1', 'bytes=a-b'])(
    '%p is ignored: the whole file is served',
    (header) => {
      expect(parseRange(header, 100)).toBeNull();
    },
  );
});

describe('etagMatches', () => {
  test('any listed tag matches, weakly; * matches anything', () => {
    expect(etagMatches('"a", "b"', '"b"')).toBe(true);
    expect(etagMatches('W/"b"', '"b"')).toBe(true);
    expect(etagMatches('"b"', 'W/"b"')).toBe(true);
    expect(etagMatches(' * ', '"x"')).toBe(true);
    expect(etagMatches('"a"', '"b"')).toBe(false);
  });
});
