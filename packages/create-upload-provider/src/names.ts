import validatePackageName from 'validate-npm-package-name';

export const PACKAGE_PREFIX = 'upload-provider-';

/** Names this project's own packages use (or will): a community provider under one would shadow or clash with them. */
export const RESERVED_NAMES = ['conformance', 'memory', 'local', 'aws-s3', 'gcs', 'cloudinary', 'mirror', 'strapi'];

/** A provider's name in the forms the generated files need. */
export interface ProviderNames {
  /** The short name users pass as `provider: 'my-store'`. */
  name: string;
  /** The package: `upload-provider-my-store`. */
  packageName: string;
  /** For identifiers: `myStore` (`myStoreProvider`). */
  camel: string;
  /** For type names: `MyStore` (`MyStoreProviderOptions`). */
  pascal: string;
}

/** A name refused, with what to change. */
export class NameError extends Error {}

const SAFE = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

/**
 * Checks a provider's short name and returns its forms. Throws `NameError` saying what to change when the package
 * `upload-provider-<name>` would not be a valid npm name, or the name would not load as `provider: '<name>'`.
 */
export function providerNames(input: string): ProviderNames {
  const name = input.trim();
  if (name === '') throw new NameError('the provider needs a name: give --name, e.g. --name my-store');
  if (name.startsWith(PACKAGE_PREFIX))
    throw new NameError(
      `give the name without its prefix: --name ${name.slice(PACKAGE_PREFIX.length) || 'my-store'} makes the package ${name}`,
    );
  if (name.startsWith('@'))
    throw new NameError(
      `"${name}" is scoped: community providers are packages named upload-provider-<name> that load as provider: '<name>'; give --name my-store`,
    );
  const packageName = `${PACKAGE_PREFIX}${name}`;
  const npm = validatePackageName(packageName);
  const problems = [...(npm.errors ?? []), ...(npm.warnings ?? [])];
  if (problems.length > 0)
    throw new NameError(
      `"${packageName}" is not a valid npm package name (${problems.join('; ')}): use lowercase letters, digits and hyphens, e.g. --name ${suggest(name)}`,
    );
  if (!SAFE.test(name))
    throw new NameError(
      `"${name}" cannot be a provider name: use lowercase letters, digits and single hyphens, starting with a letter, e.g. --name ${suggest(name)}`,
    );
  if (RESERVED_NAMES.includes(name))
    throw new NameError(
      `"${packageName}" is one of upload-provider's own packages: choose another name, e.g. --name ${name}-store`,
    );
  const words = name.split('-');
  const pascal = words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');
  return { name, packageName, camel: pascal[0]!.toLowerCase() + pascal.slice(1), pascal };
}

/** The input made safe, for the message's example; `my-store` when nothing of it is left. */
function suggest(name: string): string {
  const safe = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^[^a-z]+|-+$/g, '');
  return SAFE.test(safe) ? safe : 'my-store';
}

/** The name a folder suggests: `upload-provider-my-store` and `my-store` both give `my-store`. */
export function nameFromFolder(folder: string): string {
  const base =
    folder
      .replace(/[\\/]+$/, '')
      .split(/[\\/]/)
      .pop() ?? '';
  return base.startsWith(PACKAGE_PREFIX) ? base.slice(PACKAGE_PREFIX.length) : base;
}
