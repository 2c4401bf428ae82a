import { describe, expect, test } from '@jest/globals';
import { isNetworkError, NETWORK_ERROR_CODES, networkErrorCode } from '../src/index.js';

function systemError(code: string): Error {
  return Object.assign(new Error(`connect ${code} 127.0.0.1:9`), { code });
}

describe('networkErrorCode', () => {
  test.each([...NETWORK_ERROR_CODES])('finds %s in an error code', (code) => {
    expect(networkErrorCode(Object.assign(new Error('failed'), { code }))).toBe(code);
  });

  test('finds a code kept as a string errno', () => {
    expect(networkErrorCode(Object.assign(new Error('failed'), { errno: 'ECONNRESET' }))).toBe('ECONNRESET');
  });

  test('finds a code named only in the message', () => {
    expect(networkErrorCode(new Error('request to http://x failed, reason: read ETIMEDOUT'))).toBe('ETIMEDOUT');
  });

  test('walks the cause chain up to three levels', () => {
    const wrapped = new Error('fetch failed', { cause: new Error('outer', { cause: systemError('ECONNREFUSED') }) });
    expect(networkErrorCode(wrapped)).toBe('ECONNREFUSED');
    let deep: Error = systemError('EPIPE');
    for (let i = 0; i < 4; i++) deep = new Error(`level ${i}`, { cause: deep });
    expect(networkErrorCode(deep)).toBeUndefined();
  });

  test('ignores other codes and non-errors', () => {
    expect(networkErrorCode(Object.assign(new Error('no such file'), { code: 'ENOENT' }))).toBeUndefined();
    expect(networkErrorCode(Object.assign(new Error('x'), { errno: -104 }))).toBeUndefined();
    expect(networkErrorCode('ECONNRESET')).toBeUndefined();
    expect(networkErrorCode(null)).toBeUndefined();
  });
});

describe('isNetworkError', () => {
  test('is true exactly when a network code is found', () => {
    expect(isNetworkError(systemError('ECONNRESET'))).toBe(true);
    expect(isNetworkError(new Error('denied'))).toBe(false);
  });
});
