import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from '@jest/globals';
import { isProviderError } from 'upload-provider';
import { strapiProvider } from '../src/index.js';

// Strapi provider modules written to disk and loaded by path, as a user's own provider would be.
const dir = mkdtempSync(join(tmpdir(), 'strapi-bridge-modules-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function module(name: string, body: string): string {
  const file = join(dir, `${name}.cjs`);
  writeFileSync(file, body);
  return file;
}

function refusal(options: Parameters<typeof strapiProvider>[0]) {
  try {
    strapiProvider(options);
  } catch (error) {
    return error;
  }
  throw new Error('the bridge was created');
}

describe('a Strapi provider module that cannot work is refused at start-up, naming what is missing', () => {
  test('a package that is not installed: PROVIDER_NOT_FOUND naming what to install', () => {
    const error = refusal({ provider: 'strapi-provider-upload-nowhere', cwd: dir });
    expect(isProviderError(error, 'PROVIDER_NOT_FOUND')).toBe(true);
    expect((error as Error).message).toContain('npm install strapi-provider-upload-nowhere');
  });

  test('a path with no module: PROVIDER_NOT_FOUND naming the path', () => {
    const error = refusal({ provider: './missing-provider.cjs', cwd: dir });
    expect(isProviderError(error, 'PROVIDER_NOT_FOUND')).toBe(true);
    expect((error as Error).message).toContain('./missing-provider.cjs');
  });

  test('a module without init()', () => {
    const error = refusal({ provider: module('no-init', 'module.exports = { upload() {} };') });
    expect(isProviderError(error, 'INVALID_OPTIONS')).toBe(true);
    expect((error as Error).message).toContain('no init()');
  });

  test('a provider without delete()', () => {
    const file = module('no-delete', 'module.exports = { init: () => ({ uploadStream: async () => {} }) };');
    const error = refusal({ provider: file });
    expect(isProviderError(error, 'INVALID_OPTIONS')).toBe(true);
    expect((error as Error).message).toMatch(/lacks delete\(\);/);
  });

  test('a provider with neither upload() nor uploadStream()', () => {
    const file = module('no-upload', 'module.exports = { init: () => ({ delete: async () => {} }) };');
    const error = refusal({ provider: file });
    expect(isProviderError(error, 'INVALID_OPTIONS')).toBe(true);
    expect((error as Error).message).toContain('lacks upload() or uploadStream()');
  });

  test('init() that throws: its message is kept and the error is the cause', () => {
    const error = refusal({ provider: '@strapi/provider-upload-aws-s3', providerOptions: { s3Options: {} } });
    expect(isProviderError(error, 'INVALID_OPTIONS')).toBe(true);
    expect((error as Error).message).toContain('`params` are required');
    expect((error as Error).cause).toBeInstanceOf(Error);
  });

  test('@strapi/provider-upload-local without its public/uploads folder says which folder to create', () => {
    const publicDir = join(dir, 'empty-public');
    mkdirSync(publicDir);
    const error = refusal({ provider: '@strapi/provider-upload-local', publicDir });
    expect(isProviderError(error, 'INVALID_OPTIONS')).toBe(true);
    expect((error as Error).message).toContain(join(publicDir, 'uploads'));
    // A refused bridge leaves no strapi global behind.
    expect((globalThis as { strapi?: unknown }).strapi).toBeUndefined();
  });
});
