import { describe, expect, test } from '@jest/globals';
import { postPolicyTerms } from '../src/index.js';

describe('postPolicyTerms', () => {
  test('an exact type is a field, and the sizes a content-length-range', () => {
    expect(postPolicyTerms({ key: 'k', mime: 'image/png', maxSize: 100, minSize: 1 })).toEqual({
      fields: { 'Content-Type': 'image/png' },
      conditions: [['content-length-range', 1, 100]],
    });
  });

  test('a family or any type is a starts-with condition, not a field; minSize defaults to 0', () => {
    expect(postPolicyTerms({ key: 'k', mime: 'image/*', maxSize: 100 })).toEqual({
      fields: {},
      conditions: [
        ['content-length-range', 0, 100],
        ['starts-with', '$Content-Type', 'image/'],
      ],
    });
    expect(postPolicyTerms({ key: 'k', mime: '*/*', maxSize: 5 }).conditions[1]).toEqual([
      'starts-with',
      '$Content-Type',
      '',
    ]);
  });
});
