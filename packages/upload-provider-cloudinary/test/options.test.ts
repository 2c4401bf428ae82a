import { afterEach, describe, expect, test } from '@jest/globals';
import { isProviderError, type ProviderError } from 'upload-provider';
import cloudinaryDefault, { cloudinaryProvider, MIN_CHUNK_BYTES, parseCloudinaryUrl } from '../src/index.js';

const base = { cloudName: 'demo', apiKey: 'key', apiSecret: 'secret' };

function refusal(options: unknown): ProviderError {
  try {
    cloudinaryProvider(options as never);
  } catch (e) {
    if (isProviderError(e, 'INVALID_OPTIONS')) return e;
    throw e;
  }
  throw new Error('the options were accepted');
}

const saved = process.env.CLOUDINARY_URL;
afterEach(() => {
  if (saved === undefined) delete process.env.CLOUDINARY_URL;
  else process.env.CLOUDINARY_URL = saved;
});

describe('options', () => {
  test('the default export is the named factory, named cloudinary', () => {
    expect(cloudinaryDefault).toBe(cloudinaryProvider);
    expect(cloudinaryProvider.providerName).toBe('cloudinary');
    expect(cloudinaryProvider(base).name).toBe('cloudinary');
  });

  test('every bad option is named in one error', () => {
    const e = refusal({
      cloudName: 'bad cloud',
      apiKey: '',
      apiSecret: 's',
      delivery: 'public',
      chunkSize: 1024,
      urlExpiresIn: 0,
      tags: ['a,b'],
      folder: '../escape',
      client: {},
      region: 'eu',
    });
    for (const option of [
      'cloudName',
      'apiKey',
      'delivery',
      'chunkSize',
      'urlExpiresIn',
      'tags',
      'folder',
      'client',
      'region',
    ]) {
      expect(e.message).toContain(option);
    }
    expect(e.message).toContain('[cloudinary]');
    const problems = ((e.details?.problems ?? []) as { option: string }[]).map((p) => p.option.split('.')[0]);
    expect(new Set(problems)).toEqual(
      new Set(['cloudName', 'apiKey', 'delivery', 'chunkSize', 'urlExpiresIn', 'tags', 'folder', 'client', '']),
    );
  });

  test('missing credentials say how to give them', () => {
    delete process.env.CLOUDINARY_URL;
    const e = refusal({});
    expect(e.message).toMatch(/cloudName: is required \(pass it, or set cloudinaryUrl \/ CLOUDINARY_URL\)/);
    expect(e.message).toContain('apiKey');
    expect(e.message).toContain('apiSecret');
  });

  test('chunkSize is held to Cloudinary limits, not clamped', () => {
    expect(refusal({ ...base, chunkSize: MIN_CHUNK_BYTES - 1 }).message).toMatch(
      /chunkSize: must be at least 5242880 bytes/,
    );
    expect(refusal({ ...base, chunkSize: 200_000_000 }).message).toMatch(/chunkSize: must be at most 100000000 bytes/);
    expect(cloudinaryProvider({ ...base, chunkSize: MIN_CHUNK_BYTES }).name).toBe('cloudinary');
  });

  test('credentials come from CLOUDINARY_URL when not passed', () => {
    process.env.CLOUDINARY_URL = 'cloudinary://env-key:env-secret@env-cloud';
    const p = cloudinaryProvider({});
    expect(p.url({ key: 'a.txt' })).toBe('https://res.cloudinary.com/env-cloud/raw/upload/a.txt');
  });

  test('a malformed CLOUDINARY_URL is named', () => {
    process.env.CLOUDINARY_URL = 'https://key:secret@cloud';
    expect(refusal({}).message).toMatch(/cloudinaryUrl: CLOUDINARY_URL must start with cloudinary:\/\//);
    expect(refusal({ cloudinaryUrl: 'not a url' }).message).toMatch(/cloudinaryUrl: must look like cloudinary:\/\//);
  });

  test('parseCloudinaryUrl reads key, secret and cloud', () => {
    expect(parseCloudinaryUrl('cloudinary://123:abc%2Fdef@my-cloud')).toEqual({
      cloudName: 'my-cloud',
      apiKey: '123',
      apiSecret: 'abc/def',
    });
  });

  test('cname over https needs secureDistribution', () => {
    expect(refusal({ ...base, cname: 'img.example.com' }).message).toMatch(/cname: is used for http URLs only/);
    expect(cloudinaryProvider({ ...base, cname: 'img.example.com', secure: false }).url({ key: 'a/b.txt' })).toBe(
      'http://img.example.com/demo/raw/upload/v1/a/b.txt',
    );
  });

  test('delivery options shape plain URLs: secure by default, private CDN, CDN subdomains, version from metadata', () => {
    const ref = {
      key: 'photos/cat.png',
      providerMetadata: {
        public_id: 'photos/cat',
        resource_type: 'image',
        type: 'upload',
        version: 1700000000,
        format: 'png',
      },
    };
    expect(cloudinaryProvider(base).url(ref)).toBe(
      'https://res.cloudinary.com/demo/image/upload/v1700000000/photos/cat.png',
    );
    expect(cloudinaryProvider({ ...base, privateCdn: true, secureDistribution: 'media.example.com' }).url(ref)).toBe(
      'https://media.example.com/image/upload/v1700000000/photos/cat.png',
    );
    expect(cloudinaryProvider({ ...base, cdnSubdomain: true }).url(ref)).toMatch(
      /^https:\/\/res-[1-5]\.cloudinary\.com\/demo\/image\/upload\/v1700000000\/photos\/cat\.png$/,
    );
    expect(cloudinaryProvider({ ...base, folder: 'site' }).url({ key: 'docs/a.pdf' })).toBe(
      'https://res.cloudinary.com/demo/raw/upload/v1/site/docs/a.pdf',
    );
  });

  test('private and authenticated delivery make the provider private', () => {
    expect(cloudinaryProvider(base).isPrivate()).toBe(false);
    expect(cloudinaryProvider({ ...base, delivery: 'authenticated' }).isPrivate()).toBe(true);
    expect(cloudinaryProvider({ ...base, delivery: 'private' }).isPrivate()).toBe(true);
  });
});
