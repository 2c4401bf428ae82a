import { describe, expect, test } from '@jest/globals';
import { isProviderError } from 'upload-provider';
import { type AwsS3ProviderOptions, awsS3Provider, encodeKey } from '../src/index.js';

const url = (options: Partial<AwsS3ProviderOptions>, key: string) => {
  const p = awsS3Provider({ bucket: 'media', region: 'eu-central-1', ...options });
  try {
    return p.url({ key });
  } finally {
    void p.close();
  }
};

describe('plain URLs (no I/O)', () => {
  test('AWS: virtual-hosted by default, path-style when forced', () => {
    expect(url({}, 'a/b.png')).toBe('https://media.s3.eu-central-1.amazonaws.com/a/b.png');
    expect(url({ forcePathStyle: true }, 'a/b.png')).toBe('https://s3.eu-central-1.amazonaws.com/media/a/b.png');
    expect(url({ region: 'cn-north-1' }, 'x')).toBe('https://media.s3.cn-north-1.amazonaws.com.cn/x');
  });

  test('custom endpoints: virtual-hosted unless forced, an IP address, or a bucket name that cannot be a host', () => {
    expect(url({ endpoint: 'https://fra1.digitaloceanspaces.com' }, 'k.txt')).toBe(
      'https://media.fra1.digitaloceanspaces.com/k.txt',
    );
    expect(url({ endpoint: 'http://localhost:9000', forcePathStyle: true }, 'k.txt')).toBe(
      'http://localhost:9000/media/k.txt',
    );
    expect(url({ endpoint: 'http://10.0.0.5:9000/' }, 'k.txt')).toBe('http://10.0.0.5:9000/media/k.txt');
    expect(url({ endpoint: 'https://s3.example.com', bucket: 'My_Bucket' }, 'k.txt')).toBe(
      'https://s3.example.com/My_Bucket/k.txt',
    );
    expect(url({ endpoint: 'https://s3.example.com', bucket: 'my.bucket' }, 'k.txt')).toBe(
      'https://s3.example.com/my.bucket/k.txt',
    );
  });

  test('a baseUrl (CDN) wins, with or without a trailing slash', () => {
    expect(url({ baseUrl: 'https://cdn.example.com/' }, 'a/b.png')).toBe('https://cdn.example.com/a/b.png');
    expect(url({ baseUrl: 'https://cdn.example.com/static', endpoint: 'https://x.example' }, 'a/b.png')).toBe(
      'https://cdn.example.com/static/a/b.png',
    );
  });

  test('keys are encoded per segment: spaces, unicode and URL syntax stay part of the name', () => {
    expect(encodeKey('dir one/ünï cødé #1?&=+.txt')).toBe(
      'dir%20one/%C3%BCn%C3%AF%20c%C3%B8d%C3%A9%20%231%3F%26%3D%2B.txt',
    );
    expect(encodeKey("it's (a)*!.txt")).toBe('it%27s%20%28a%29%2A%21.txt');
    expect(url({}, 'photos/été 2026.jpg')).toBe(
      'https://media.s3.eu-central-1.amazonaws.com/photos/%C3%A9t%C3%A9%202026.jpg',
    );
  });

  test('a hostile key is refused with INVALID_INPUT', () => {
    let error: unknown;
    try {
      url({}, '../secret');
    } catch (e) {
      error = e;
    }
    expect(isProviderError(error, 'INVALID_INPUT')).toBe(true);
  });
});
