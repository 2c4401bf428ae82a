import { describe, expect, test } from '@jest/globals';
import {
  defineProvider,
  ERROR_CODES,
  httpUrlOption,
  integerOption,
  isProviderError,
  ProviderError,
  toProviderError,
  z,
} from '../src/index.js';

const stub = defineProvider({
  name: 'example',
  options: z.object({
    bucket: z.string().min(1, 'must name the bucket'),
    partSize: z
      .number()
      .int()
      .min(5 * 1024 * 1024, 'must be at least 5 MiB')
      .default(8 * 1024 * 1024),
    region: z.string().default('us-east-1'),
  }),
  create: (options) => ({
    name: 'example',
    options,
    capabilities: {
      read: false,
      rangeRead: false,
      stat: false,
      directUpload: false,
      downloadName: false,
      contentType: false,
      unknownSize: false,
    },
    isPrivate: () => false,
    url: () => 'x',
    upload: async () => {
      throw new ProviderError('UNSUPPORTED', 'no');
    },
    delete: async () => {},
    signUrl: async () => ({ url: 'x', expiresAt: new Date() }),
  }),
});

describe('defineProvider', () => {
  test('applies defaults and hands validated options to create', () => {
    expect(stub({ bucket: 'b' }).options).toEqual({ bucket: 'b', partSize: 8 * 1024 * 1024, region: 'us-east-1' });
    expect(stub.providerName).toBe('example');
  });

  test('reports every bad option at once, naming the provider and each option', () => {
    let error: unknown;
    try {
      stub({ bucket: '', partSize: 1024, region: 7 } as never);
    } catch (e) {
      error = e;
    }
    expect(isProviderError(error, 'INVALID_OPTIONS')).toBe(true);
    const e = error as ProviderError;
    expect(e.message).toMatch(/^\[example\] invalid options: /);
    expect(e.message).toContain('bucket: must name the bucket');
    expect(e.message).toContain('partSize: must be at least 5 MiB');
    expect(e.message).toContain('region:');
    expect(e.details?.problems).toHaveLength(3);
    expect(e.cause).toBeInstanceOf(z.ZodError);
  });

  test('treats missing options as an empty object', () => {
    expect(() => stub(undefined as never)).toThrow(/bucket/);
  });

  test('check() lists the problems without throwing', () => {
    expect(stub.check({ bucket: 'ok' })).toEqual([]);
    expect(stub.check({}).map((p) => p.option)).toEqual(['bucket']);
  });
});

describe('ProviderError', () => {
  test('carries code, provider, cause and retryability', () => {
    const cause = new Error('socket hang up');
    const e = new ProviderError('UNAVAILABLE', 'backend down', { provider: 'aws-s3', cause });
    expect(e.message).toBe('[aws-s3] backend down');
    expect(e.retryable).toBe(true);
    expect(e.cause).toBe(cause);
    expect(new ProviderError('NOT_FOUND', 'x').retryable).toBe(false);
    expect(ERROR_CODES).toContain(e.code);
  });

  test('isProviderError recognises errors from another copy of the package by their brand', () => {
    const foreign = Object.create(Object.getPrototypeOf(new ProviderError('NOT_FOUND', 'x')));
    Object.assign(foreign, { code: 'NOT_FOUND' });
    expect(isProviderError(foreign, 'NOT_FOUND')).toBe(true);
    expect(isProviderError({ code: 'NOT_FOUND', name: 'ProviderError' })).toBe(false);
    expect(isProviderError(new Error('x'))).toBe(false);
    expect(isProviderError(null)).toBe(false);
  });

  test('toProviderError wraps unknown failures and maps aborts', () => {
    const wrapped = toProviderError(new Error('boom'), 'INTERNAL', 'upload failed', { provider: 'p' });
    expect(wrapped.code).toBe('INTERNAL');
    const abort = toProviderError(Object.assign(new Error('aborted'), { name: 'AbortError' }), 'INTERNAL', 'x');
    expect(abort.code).toBe('ABORTED');
    const same = new ProviderError('NOT_FOUND', 'x');
    expect(toProviderError(same, 'INTERNAL', 'y')).toBe(same);
  });
});

describe('option schema builders', () => {
  test('httpUrlOption accepts http(s) URLs only and names the option', () => {
    const s = httpUrlOption('endpoint');
    expect(s.safeParse('https://s3.example.com').success).toBe(true);
    for (const bad of ['ftp://x', 'nope', 7]) {
      const r = s.safeParse(bad);
      expect(r.success).toBe(false);
      expect(r.error?.issues[0]?.message).toBe('endpoint must be an absolute http(s) URL');
    }
  });

  test('integerOption checks type, wholeness and bounds with the unit in each message', () => {
    const s = integerOption('partSize', 5, 10, 'MiB');
    expect(s.safeParse(7).success).toBe(true);
    expect(s.safeParse('7').error?.issues[0]?.message).toBe('partSize must be a number of MiB');
    expect(s.safeParse(7.5).error?.issues[0]?.message).toBe('partSize must be a whole number of MiB');
    expect(s.safeParse(4).error?.issues[0]?.message).toBe('partSize must be at least 5 MiB');
    expect(s.safeParse(11).error?.issues[0]?.message).toBe('partSize must be at most 10 MiB');
  });
});
