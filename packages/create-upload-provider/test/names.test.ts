import { describe, expect, test } from '@jest/globals';
import { NameError, nameFromFolder, providerNames } from '../src/names.js';

describe('provider names', () => {
  test('a short name gives the package, the identifier and the type name', () => {
    expect(providerNames('my-store')).toEqual({
      name: 'my-store',
      packageName: 'upload-provider-my-store',
      camel: 'myStore',
      pascal: 'MyStore',
    });
    expect(providerNames('b2').camel).toBe('b2');
  });

  test.each([
    ['My Store', /not a valid npm package name.*capital letters.*--name my-store/],
    ['store!', /not a valid npm package name.*--name store/],
    ['', /needs a name/],
  ])('%j is refused as an invalid package name, with a name to use instead', (name, message) => {
    expect(() => providerNames(name)).toThrow(NameError);
    expect(() => providerNames(name)).toThrow(message);
  });

  test.each([
    ['upload-provider-foo', /without its prefix: --name foo/],
    ['@me/upload-provider-foo', /scoped.*--name my-store/],
    ['my_store', /lowercase letters, digits and single hyphens.*--name my-store/],
    ['2fast', /starting with a letter/],
    ['my--store', /single hyphens/],
    ['store-', /single hyphens.*--name store/],
    ['memory', /one of upload-provider's own packages.*--name memory-store/],
    ['conformance', /one of upload-provider's own packages/],
  ])('%j is refused as not upload-provider-safe, saying what to change', (name, message) => {
    expect(() => providerNames(name)).toThrow(message);
  });

  test('a folder suggests its name, with or without the package prefix', () => {
    expect(nameFromFolder('/tmp/upload-provider-my-store')).toBe('my-store');
    expect(nameFromFolder('providers/my-store/')).toBe('my-store');
  });
});
