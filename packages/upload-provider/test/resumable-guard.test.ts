// The core's guard in front of resumable sessions: what a provider's session methods may assume, and the authoring
// mistakes it refuses. A small provider records what reaches it.
import { Readable } from 'node:stream';
import { describe, expect, test } from '@jest/globals';
import { guardProvider, isProviderError, type ResumableSessions, type UploadProvider } from '../src/index.js';

// Only the capabilities whose methods this provider has.
const BASIC = {
  read: false,
  rangeRead: false,
  stat: false,
  directUpload: false,
  downloadName: false,
  contentType: true,
  unknownSize: true,
};

function provider(calls: unknown[][], overrides: Partial<UploadProvider> = {}): UploadProvider {
  const sessions: ResumableSessions = {
    create: async (req) => {
      calls.push(['create', req]);
      return { n: 1 };
    },
    append: async (session, body, opts) => {
      calls.push(['append', session, opts.offset]);
      body.resume();
      return { state: session.state, offset: opts.offset };
    },
    complete: async (session, opts) => {
      calls.push(['complete', session, opts.size]);
      return { key: session.key, url: 'x', size: opts.size, mime: 'a/b' };
    },
    abort: async (session) => {
      calls.push(['abort', session]);
    },
  };
  return {
    name: 'sessions',
    capabilities: { ...BASIC, resumable: true },
    upload: async () => ({ key: 'k', url: 'x', size: 0, mime: 'a/b' }),
    delete: async () => {},
    isPrivate: () => false,
    url: () => 'x',
    signUrl: async () => ({ url: 'x', expiresAt: new Date() }),
    resumable: sessions,
    ...overrides,
  } as UploadProvider;
}

async function code(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'resolved';
  } catch (error) {
    return isProviderError(error) ? error.code : `not a ProviderError: ${String(error)}`;
  }
}

describe('resumable sessions behind the guard', () => {
  test('keys arrive normalised; hostile keys, bad types, names and sizes never reach the provider', async () => {
    const calls: unknown[][] = [];
    const sessions = guardProvider(provider(calls)).resumable!;
    await sessions.create({ key: '/a/b.bin', mime: 'application/octet-stream', name: 'b.bin', size: 3 });
    expect(calls).toEqual([['create', { key: 'a/b.bin', mime: 'application/octet-stream', name: 'b.bin', size: 3 }]]);
    calls.length = 0;
    expect(await code(sessions.create({ key: '../etc/passwd', mime: 'a/b', name: 'x' }))).toBe('INVALID_INPUT');
    expect(await code(sessions.create({ key: 'k', mime: 'not a type', name: 'x' }))).toBe('INVALID_INPUT');
    expect(await code(sessions.create({ key: 'k', mime: 'a/b', name: 'x', size: -1 }))).toBe('INVALID_INPUT');
    expect(await code(sessions.create({ key: 'k', mime: 'a/b', name: 'x', disposition: 'sideways' as 'inline' }))).toBe(
      'INVALID_INPUT',
    );
    expect(calls).toEqual([]);
  });

  test('append, complete and abort need a key and a state object; offsets and sizes are whole bytes', async () => {
    const calls: unknown[][] = [];
    const sessions = guardProvider(provider(calls)).resumable!;
    const body = () => Readable.from([Buffer.from('abc')]);
    expect(await code(sessions.append({ key: 'k', state: null as never }, body(), { offset: 0 }))).toBe(
      'INVALID_INPUT',
    );
    expect(await code(sessions.append({ key: '..', state: {} }, body(), { offset: 0 }))).toBe('INVALID_INPUT');
    expect(await code(sessions.append({ key: 'k', state: {} }, body(), { offset: 1.5 }))).toBe('INVALID_INPUT');
    expect(await code(sessions.append({ key: 'k', state: {} }, 'abc' as never, { offset: 0 }))).toBe('INVALID_INPUT');
    const aborted = AbortSignal.abort();
    expect(await code(sessions.append({ key: 'k', state: {} }, body(), { offset: 0, signal: aborted }))).toBe(
      'ABORTED',
    );
    expect(await code(sessions.complete({ key: 'k', state: {} }, { size: -3 }))).toBe('INVALID_INPUT');
    expect(await code(sessions.abort({ key: 'k' } as never))).toBe('INVALID_INPUT');
    expect(calls).toEqual([]);
    await sessions.append({ key: '/k', state: { n: 1 } }, body(), { offset: 2 });
    expect(calls).toEqual([['append', { key: 'k', state: { n: 1 } }, 2]]);
  });

  test('a stray error from a session method is INTERNAL, naming the method', async () => {
    const broken = provider([]);
    (broken.resumable as { abort: unknown }).abort = async () => {
      throw new TypeError('boom');
    };
    const sessions = guardProvider(broken).resumable!;
    await expect(sessions.abort({ key: 'k', state: {} })).rejects.toMatchObject({
      code: 'INTERNAL',
      message: expect.stringContaining('resumable.abort'),
    });
  });

  test('the capability and the sessions must agree', () => {
    const missing = provider([], { resumable: { create: async () => ({}) } as unknown as ResumableSessions });
    expect(() => guardProvider(missing)).toThrow(/resumable\.append\(\) is missing/);
    const undeclared = provider([]);
    (undeclared as { capabilities: unknown }).capabilities = { ...BASIC, resumable: false };
    expect(() => guardProvider(undeclared)).toThrow(/capabilities\.resumable is not true/);
  });
});
