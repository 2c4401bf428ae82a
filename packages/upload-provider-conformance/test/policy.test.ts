import { describe, expect, test } from '@jest/globals';
import { decodePostPolicy } from '../src/index.js';

const encode = (policy: unknown) => Buffer.from(JSON.stringify(policy)).toString('base64');

describe('decodePostPolicy', () => {
  test('reads key, size and type conditions in their S3 and GCS spellings', () => {
    const p = decodePostPolicy({
      fields: {
        Policy: encode({
          expiration: '2030-01-01T00:00:00.000Z',
          conditions: [
            { bucket: 'b' },
            ['eq', '$key', 'a/b.png'],
            ['content-length-range', 0, 1000],
            ['starts-with', '$Content-Type', 'image/'],
          ],
        }),
      },
    });
    expect(p.expiration.toISOString()).toBe('2030-01-01T00:00:00.000Z');
    expect(p.key).toEqual({ exact: 'a/b.png' });
    expect(p.contentLength).toEqual([0, 1000]);
    expect(p.contentType).toEqual({ prefix: 'image/' });
  });

  test('reads object-form conditions', () => {
    const p = decodePostPolicy({
      fields: {
        policy: encode({
          expiration: '2030-01-01T00:00:00Z',
          conditions: [{ key: 'k' }, { 'Content-Type': 'text/plain' }],
        }),
      },
    });
    expect(p.key).toEqual({ exact: 'k' });
    expect(p.contentType).toEqual({ exact: 'text/plain' });
  });

  test('throws when there is no policy to check', () => {
    expect(() => decodePostPolicy({ fields: { key: 'x' } })).toThrow(/no `policy` field/);
  });
});
