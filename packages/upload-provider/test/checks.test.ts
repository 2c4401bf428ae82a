import { describe, expect, test } from '@jest/globals';
import { invalidInput, isProviderError, MIME_FAMILY, MIME_TYPE, shortenFileName } from '../src/index.js';

describe('shortenFileName', () => {
  test('keeps a short name as it is', () => {
    expect(shortenFileName('report.pdf')).toBe('report.pdf');
    expect(shortenFileName('x'.repeat(150))).toBe('x'.repeat(150));
  });

  test('cuts a long name to the limit and keeps its extension', () => {
    const out = shortenFileName(`${'a'.repeat(300)}.jpeg`);
    expect(out).toHaveLength(150);
    expect(out).toBe(`${'a'.repeat(145)}.jpeg`);
    expect(shortenFileName(`${'b'.repeat(30)}.txt`, 10)).toBe('bbbbbb.txt');
  });

  test('drops an "extension" too long to be one, and a leading dot', () => {
    expect(shortenFileName(`a.${'c'.repeat(200)}`, 20)).toBe(`a.${'c'.repeat(18)}`);
    expect(shortenFileName(`.${'d'.repeat(40)}`, 20)).toBe(`.${'d'.repeat(19)}`);
  });
});

describe('MIME_TYPE and MIME_FAMILY', () => {
  test('accept content types and families', () => {
    expect(MIME_TYPE.test('image/png')).toBe(true);
    expect(MIME_TYPE.test('text/plain; charset=utf-8')).toBe(true);
    expect(MIME_FAMILY.exec('image/*')?.[1]).toBe('image/');
  });

  test('refuse anything else', () => {
    for (const bad of ['', 'image', 'image/', '/png', 'image/png/x', 'a b/c', 'image/*']) {
      expect(MIME_TYPE.test(bad)).toBe(false);
    }
    for (const bad of ['*/*', 'image/png', 'image/**', '/*']) expect(MIME_FAMILY.test(bad)).toBe(false);
  });
});

describe('invalidInput', () => {
  test('is an INVALID_INPUT ProviderError naming its provider', () => {
    const error = invalidInput('gcs', 'mime is wrong', { mime: 'x' });
    expect(isProviderError(error, 'INVALID_INPUT')).toBe(true);
    expect(error.provider).toBe('gcs');
    expect(error.message).toContain('mime is wrong');
    expect(error.details).toEqual({ mime: 'x' });
  });
});
