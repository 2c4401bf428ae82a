import { join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { isProviderError, loadProvider, type ProviderError, providerPackageName } from '../src/index.js';

const fixtures = join(__dirname, 'fixtures');

async function rejection(promise: Promise<unknown>): Promise<ProviderError> {
  try {
    await promise;
  } catch (e) {
    if (isProviderError(e)) return e;
    throw e;
  }
  throw new Error('expected a rejection');
}

describe('providerPackageName', () => {
  test('maps short names to upload-provider-<name> and leaves full names and paths alone', () => {
    expect(providerPackageName('aws-s3')).toBe('upload-provider-aws-s3');
    expect(providerPackageName('upload-provider-gcs')).toBe('upload-provider-gcs');
    expect(providerPackageName('@acme/storage')).toBe('@acme/storage');
    expect(providerPackageName('./my-provider.js')).toBe('./my-provider.js');
    expect(providerPackageName('/abs/provider.js')).toBe('/abs/provider.js');
  });
});

describe('loadProvider', () => {
  test('loads a module by path, relative to cwd, and calls its default export with the options', async () => {
    const provider = await loadProvider('./provider-module.mjs', { label: 'a' }, { cwd: fixtures });
    expect(provider.name).toBe('fixture-a');
  });

  test('loads a module by absolute path', async () => {
    const provider = await loadProvider(join(fixtures, 'provider-module.mjs'), { label: 'b' });
    expect(provider.name).toBe('fixture-b');
  });

  test('returns a provider object as it is', async () => {
    const made = await loadProvider(join(fixtures, 'provider-module.mjs'), { label: 'c' });
    expect(await loadProvider(made)).toBe(made);
  });

  test('says which package to install when a short name is not installed', async () => {
    const e = await rejection(loadProvider('no-such-backend', {}, { cwd: fixtures }));
    expect(e.code).toBe('PROVIDER_NOT_FOUND');
    expect(e.message).toContain('npm install upload-provider-no-such-backend');
  });

  test('names the missing path', async () => {
    const e = await rejection(loadProvider('./missing.mjs', {}, { cwd: fixtures }));
    expect(e.code).toBe('PROVIDER_NOT_FOUND');
    expect(e.message).toContain(join(fixtures, 'missing.mjs'));
  });

  test('refuses a module without a provider factory', async () => {
    const e = await rejection(loadProvider('./not-a-provider.mjs', {}, { cwd: fixtures }));
    expect(e.code).toBe('INVALID_INPUT');
    expect(e.message).toMatch(/does not export a provider factory/);
  });

  test('refuses an object that lacks the contract', async () => {
    const e = await rejection(loadProvider({ name: 'half' } as never));
    expect(e.code).toBe('INVALID_INPUT');
    expect(e.message).toMatch(/lacks capabilities, upload\(\), delete\(\), signUrl\(\), isPrivate\(\), url\(\)/);
  });
});
