import { posix } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import {
  buildKey,
  contentDisposition,
  isProviderError,
  joinKey,
  normaliseKey,
  normalisePrefix,
  slugifyName,
} from '../src/index.js';

// Names an attacker or a careless client might send. Whatever they hold, the key stays inside its prefix.
const HOSTILE = [
  '../../etc/passwd',
  '..\\..\\windows\\system32\\config',
  '/etc/shadow',
  'C:\\Windows\\win.ini',
  'a/../../b.txt',
  '....//....//x',
  '%2e%2e%2f%2e%2e%2fx',
  '..%c0%af..%c0%afx',
  'nul\u0000byte.png',
  'new\nline\r.txt',
  '\u0007bell\u007f.txt',
  '．．／．．／fullwidth',
  '‥／leader',
  '\u202eexe.txt',
  'zero\u200bwidth.txt',
  '.',
  '..',
  '',
  '   ',
  'x'.repeat(10_000),
  `${'é'.repeat(3000)}.png`,
  'a\u0301\u0301\u0301.txt',
  '😀'.repeat(500),
  'CON.txt',
  '.htaccess',
  'file.tar.gz',
  'name.with.dots.JPEG',
  'ext.%00.png',
];

describe('buildKey', () => {
  test.each(HOSTILE)('keeps %j inside its prefix', (name) => {
    const key = buildKey(name, { prefix: 'uploads/2026' });
    expect(key.startsWith('uploads/2026/')).toBe(true);
    expect(posix.normalize(key)).toBe(key);
    expect(key.split('/')).toHaveLength(3);
    expect(key).toMatch(/^uploads\/2026\/[a-z0-9-]+_[0-9a-f]{16}(\.[a-z0-9]{1,12})?$/);
    expect(Buffer.byteLength(key)).toBeLessThan(200);
    expect(normaliseKey(key)).toBe(key);
  });

  test('keeps a readable slug and a lowercase extension', () => {
    expect(buildKey('Résumé Final (v2).PDF', { random: 'abc123' })).toBe('resume-final-v2_abc123.pdf');
    expect(buildKey('archive.tar.gz', { random: 'f' })).toBe('archive-tar_f.gz');
    expect(buildKey('', { random: 'f' })).toBe('file_f');
    expect(buildKey('日本語.txt', { random: 'f' })).toBe('file_f.txt');
  });

  test('makes a fresh random part each time', () => {
    const keys = new Set(Array.from({ length: 1000 }, () => buildKey('same.png')));
    expect(keys.size).toBe(1000);
  });

  test('refuses a hostile prefix', () => {
    for (const prefix of ['../x', 'a/../../b', 'a\\b', 'a\u0000', '．．']) {
      expect(() => buildKey('a.png', { prefix })).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    }
  });

  test('slugifyName takes only the last segment of a path', () => {
    expect(slugifyName('../../etc/passwd')).toEqual({ slug: 'passwd', ext: '' });
    expect(slugifyName('C:\\Users\\me\\Photo.JPG')).toEqual({ slug: 'photo', ext: '.jpg' });
  });
});

describe('normaliseKey', () => {
  test.each([
    '../escape',
    'a/../b',
    'a/./b',
    './a',
    'a//b',
    'a/',
    'a\\b',
    'a\u0000b',
    'a\nb',
    '．．/x',
    'x/‥/y',
    'x／y',
    'a/..../b',
    '',
    '/',
    'x'.repeat(1025),
  ])('refuses %j with INVALID_INPUT', (key) => {
    let error: unknown;
    try {
      normaliseKey(key);
    } catch (e) {
      error = e;
    }
    expect(isProviderError(error, 'INVALID_INPUT')).toBe(true);
  });

  test('drops leading slashes and composes to NFC', () => {
    expect(normaliseKey('/a/b.txt')).toBe('a/b.txt');
    expect(normaliseKey('caf\u0065\u0301.txt')).toBe('café.txt');
    expect(normaliseKey('dir with spaces/ünï #?&.txt')).toBe('dir with spaces/ünï #?&.txt');
  });

  test('accepts a key of exactly 1024 bytes', () => {
    expect(normaliseKey('k'.repeat(1024))).toHaveLength(1024);
  });
});

describe('joinKey and normalisePrefix', () => {
  test('joins a prefix and a key, checking both', () => {
    expect(joinKey('uploads/', 'a.png')).toBe('uploads/a.png');
    expect(joinKey('', 'a.png')).toBe('a.png');
    expect(joinKey(undefined, 'a.png')).toBe('a.png');
    expect(() => joinKey('uploads', '../a.png')).toThrow(/segments/);
    expect(normalisePrefix('/a/b/')).toBe('a/b');
  });
});

describe('contentDisposition', () => {
  test('gives an ASCII fallback and a UTF-8 filename*', () => {
    expect(contentDisposition('attachment', 'Résumé "v2".pdf')).toBe(
      `attachment; filename="Resume _v2_.pdf"; filename*=UTF-8''R%C3%A9sum%C3%A9%20%22v2%22.pdf`,
    );
    expect(contentDisposition('inline')).toBe('inline');
  });

  test('strips control characters and path separators', () => {
    const header = contentDisposition('attachment', 'a\r\nSet-Cookie: x=1/../b.txt');
    expect(header).not.toMatch(/[\r\n]/);
    expect(header).not.toContain('/');
  });
});

describe('control characters', () => {
  test('are all removed from names, not only the first', () => {
    expect(slugifyName('a\u0000b\u0000c\u0001d.txt').slug).toBe('abcd');
    expect(contentDisposition('inline', 'a\u0000b\u0000c.txt')).toContain('filename="abc.txt"');
  });
});
