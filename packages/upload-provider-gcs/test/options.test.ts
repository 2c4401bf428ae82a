import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Storage } from '@google-cloud/storage';
import { describe, expect, test } from '@jest/globals';
import { isProviderError, loadProvider, type OptionProblem } from 'upload-provider';
import defaultExport, { DEFAULTS, gcsProvider } from '../src/index.js';
import { PROJECT_ID } from './support/emulator.js';
import { makeServiceAccount, verifyV4SignedUrl } from './support/signing.mjs';

// Nothing here talks to a storage: options are checked, and URLs made, without I/O. STORAGE_EMULATOR_HOST is unset
// so the SDK's own default endpoint shows in URLs.
delete process.env.STORAGE_EMULATOR_HOST;
const account = makeServiceAccount(PROJECT_ID);

function problems(options: unknown): OptionProblem[] {
  try {
    gcsProvider(options as never);
  } catch (error) {
    if (isProviderError(error, 'INVALID_OPTIONS')) {
      expect(error.message).toMatch(/^\[gcs\] invalid options: /);
      return (error.details as { problems: OptionProblem[] }).problems;
    }
    throw error;
  }
  return [];
}

const named = (options: unknown) => problems(options).map((p) => p.option);

describe('options', () => {
  test('the package exports the factory as default and as gcsProvider, named "gcs"', () => {
    expect(defaultExport).toBe(gcsProvider);
    expect(gcsProvider.providerName).toBe('gcs');
    expect(gcsProvider({ bucket: 'b-1' }).name).toBe('gcs');
  });

  test('a server configured with provider "gcs" loads this package (its built entry point) by name', async () => {
    const p = await loadProvider('gcs', { bucket: 'b-1', visibility: 'public-bucket' }, { cwd: join(__dirname, '..') });
    expect(p.name).toBe('gcs');
    expect(p.isPrivate()).toBe(false);
    await expect(loadProvider('gcs', { bucket: '' }, { cwd: join(__dirname, '..') })).rejects.toMatchObject({
      code: 'INVALID_OPTIONS',
    });
  });

  test('a bucket is all it needs; the defaults are private, 900 s and 8 MiB', () => {
    const p = gcsProvider({ bucket: 'my-bucket' });
    expect(p.isPrivate()).toBe(true);
    expect(p.bucket.name).toBe('my-bucket');
    expect(DEFAULTS).toEqual({ visibility: 'private', urlExpiresIn: 900, resumableThreshold: 8 * 1024 * 1024 });
    expect(p.url({ key: 'a/b c.png' })).toBe('https://storage.googleapis.com/my-bucket/a/b%20c.png');
  });

  test('every bad option is named at once', () => {
    expect(
      named({
        bucket: 'gs://b',
        visibility: 'public',
        urlExpiresIn: 604_801,
        resumableThreshold: -1,
        baseUrl: 'cdn.example.com',
        apiEndpoint: 'ftp://x',
        prefix: '../up',
        cacheControl: '',
        projectId: '',
        keyFilename: '',
        region: 'eu',
      }).sort(),
    ).toEqual(
      [
        'bucket',
        'visibility',
        'urlExpiresIn',
        'resumableThreshold',
        'baseUrl',
        'apiEndpoint',
        'prefix',
        'cacheControl',
        'projectId',
        'keyFilename',
        '',
      ].sort(),
    );
  });

  test('messages say what to change', () => {
    const messages = (o: unknown) => problems(o).map((p) => `${p.option}: ${p.message}`);
    expect(messages({})).toEqual([expect.stringMatching(/^bucket: bucket is required/)]);
    expect(messages({ bucket: 'gs://photos' })).toEqual([
      'bucket: bucket is the bucket\'s name without "gs://": "photos"',
    ]);
    expect(messages({ bucket: 'a/b' })).toEqual([expect.stringMatching(/not a path: put folders in `prefix`/)]);
    expect(messages({ bucket: 'Upper_Case' })).toEqual([expect.stringMatching(/lowercase letters/)]);
    expect(messages({ bucket: 'b-1', urlExpiresIn: 700_000 })).toEqual([
      'urlExpiresIn: urlExpiresIn must be at most 604800 seconds (7 days is the GCS maximum)',
    ]);
    expect(messages({ bucket: 'b-1', visibility: 'public' })).toEqual([
      'visibility: visibility must be "private", "public-bucket" or "public-acl"',
    ]);
  });

  test('credentials: a service account key as an object or as its JSON text', () => {
    expect(named({ bucket: 'b-1', credentials: account.credentials })).toEqual([]);
    expect(named({ bucket: 'b-1', credentials: JSON.stringify(account.credentials) })).toEqual([]);
    const bad = (credentials: unknown) => problems({ bucket: 'b-1', credentials }).map((p) => p.message);
    expect(bad('not json')).toEqual([expect.stringMatching(/not JSON.*keyFilename/)]);
    expect(bad({ client_email: 'a@b' })).toEqual([expect.stringMatching(/with private_key/)]);
    expect(bad('{}')).toEqual([expect.stringMatching(/with client_email and private_key/)]);
    expect(bad(42)).toEqual([expect.stringMatching(/service account key/)]);
    // The private key never appears in an error.
    const leaky = problems({ bucket: 'b-1', credentials: { private_key: account.credentials.private_key } });
    expect(JSON.stringify(leaky)).not.toContain('PRIVATE KEY');
  });

  test('credentials and keyFilename are one or the other', () => {
    expect(named({ bucket: 'b-1', credentials: account.credentials, keyFilename: '/k.json' })).toEqual(['credentials']);
  });

  test('inline credentials sign URLs with that key', async () => {
    const p = gcsProvider({ bucket: 'b-1', credentials: JSON.stringify(account.credentials) });
    const { url } = await p.signUrl({ key: 'k.txt' });
    expect(url.startsWith('https://storage.googleapis.com/b-1/k.txt?')).toBe(true);
    expect(verifyV4SignedUrl(url, account)).toBe(true);
  });

  test('a key file path signs URLs with the key in that file', async () => {
    const file = join(tmpdir(), `gcs-key-${process.pid}-${Date.now()}.json`);
    await writeFile(file, JSON.stringify(account.credentials));
    try {
      const { url } = await gcsProvider({ bucket: 'b-1', keyFilename: file }).signUrl({ key: 'k.txt' });
      expect(verifyV4SignedUrl(url, account)).toBe(true);
    } finally {
      await rm(file, { force: true });
    }
  });

  test('an injected Storage or Bucket is used as it is, and cannot be mixed with client options', async () => {
    const storage = new Storage({ credentials: account.credentials, apiEndpoint: 'https://storage.example.test' });
    const viaStorage = gcsProvider({ bucket: 'b-1', storage });
    expect(viaStorage.bucket.storage).toBe(storage);
    expect(viaStorage.url({ key: 'x.txt' })).toBe('https://storage.example.test/b-1/x.txt');
    const bucket = storage.bucket('b-2');
    const viaBucket = gcsProvider({ bucket });
    expect(viaBucket.bucket).toBe(bucket);
    expect(verifyV4SignedUrl((await viaBucket.signUrl({ key: 'x.txt' })).url, account)).toBe(true);

    expect(named({ bucket: 'b-1', storage, credentials: account.credentials, projectId: 'p' }).sort()).toEqual([
      'credentials',
      'projectId',
    ]);
    expect(named({ bucket, keyFilename: '/k.json', apiEndpoint: 'https://x.test' }).sort()).toEqual([
      'apiEndpoint',
      'keyFilename',
    ]);
    expect(named({ bucket, storage })).toEqual(['storage']);
    expect(named({ bucket: 'b-1', storage: { bucket: 'nope' } })).toEqual(['storage']);
  });

  test('baseUrl (a CDN) makes the plain URLs, with the prefix and each key segment encoded', () => {
    const p = gcsProvider({ bucket: 'b-1', baseUrl: 'https://cdn.example.com/media/', prefix: 'site' });
    expect(p.url({ key: 'é/a b#?.png' })).toBe('https://cdn.example.com/media/site/%C3%A9/a%20b%23%3F.png');
  });

  test('visibility decides isPrivate', () => {
    expect(gcsProvider({ bucket: 'b-1', visibility: 'private' }).isPrivate()).toBe(true);
    expect(gcsProvider({ bucket: 'b-1', visibility: 'public-bucket' }).isPrivate()).toBe(false);
    expect(gcsProvider({ bucket: 'b-1', visibility: 'public-acl' }).isPrivate()).toBe(false);
  });

  test('check() lists the problems without creating anything', () => {
    expect(gcsProvider.check({ bucket: 'b-1' })).toEqual([]);
    expect(gcsProvider.check({ bucket: 'b-1', resumableThreshold: 1.5 }).map((p) => p.option)).toEqual([
      'resumableThreshold',
    ]);
  });
});
