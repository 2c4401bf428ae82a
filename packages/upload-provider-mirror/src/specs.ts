import { createRequire } from 'node:module';
import { isAbsolute, join, resolve } from 'node:path';
import {
  assertProvider,
  type Capabilities,
  isProviderError,
  type OptionProblem,
  ProviderError,
  providerPackageName,
  type UploadProvider,
} from 'upload-provider';

/**
 * A provider as the server's config gives one: a short name or package name (`'aws-s3'`), `{ name, options }`, or an
 * already-made provider object.
 */
export type ProviderSpec = string | { name: string; options?: Record<string, unknown> } | UploadProvider;

interface Factory {
  (options: unknown): unknown;
  check?: (options: unknown) => OptionProblem[];
  capabilitiesFor?: (options: unknown) => Capabilities;
}

export function isProviderObject(value: unknown): value is UploadProvider {
  return typeof value === 'object' && value !== null && typeof (value as UploadProvider).upload === 'function';
}

/** What is wrong with the shape of a spec, before anything is loaded; `null` when it is fine. */
export function specShapeProblem(value: unknown): string | null {
  if (typeof value === 'string') return value === '' ? 'must not be empty' : null;
  if (isProviderObject(value)) return null;
  if (typeof value !== 'object' || value === null) {
    return 'must be a provider name, { name, options }, or a provider object';
  }
  const { name, options, ...rest } = value as Record<string, unknown>;
  if (typeof name !== 'string' || name === '') return 'needs a "name": a provider name such as "aws-s3" or "local"';
  if (options !== undefined && (typeof options !== 'object' || options === null || Array.isArray(options))) {
    return '"options" must be an object';
  }
  const extra = Object.keys(rest);
  if (extra.length > 0) return `unknown key${extra.length > 1 ? 's' : ''} ${extra.map((k) => `"${k}"`).join(', ')}`;
  return null;
}

/**
 * The provider factory a named spec points at, loaded synchronously (`require` of an ES module, Node 20.19+), since
 * a provider factory returns its provider synchronously. Resolves like `loadProvider`: from `cwd`, short names as
 * `upload-provider-<name>`, relative paths from `cwd`.
 */
export function loadFactory(name: string, cwd: string): Factory {
  const target = providerPackageName(name);
  const local = target.startsWith('.') || isAbsolute(target) || target.startsWith('file:');
  const request = local ? resolve(cwd, target.replace(/^file:(\/\/)?/, '')) : target;
  let mod: Record<string, unknown>;
  try {
    mod = createRequire(join(cwd, 'noop.js'))(request) as Record<string, unknown>;
  } catch (cause) {
    const code = (cause as { code?: string }).code;
    const missing = code === 'MODULE_NOT_FOUND' && String(cause).includes(request);
    throw new ProviderError(
      'PROVIDER_NOT_FOUND',
      missing
        ? `cannot find the provider "${name}": install its package with \`npm install ${target}\``
        : `the provider package ${target} failed to load: ${String(cause)}`,
      { cause },
    );
  }
  const inner = mod.default as Record<string, unknown> | undefined;
  const factory = [mod.default, mod.createProvider, inner?.default].find((c) => typeof c === 'function');
  if (!factory) {
    throw new ProviderError(
      'INVALID_INPUT',
      `${target} does not export a provider factory (a default export or \`createProvider\` made with defineProvider)`,
    );
  }
  return factory as Factory;
}

function nameAndOptions(spec: Exclude<ProviderSpec, UploadProvider>): { name: string; options: unknown } {
  return typeof spec === 'string' ? { name: spec, options: {} } : { name: spec.name, options: spec.options ?? {} };
}

/**
 * Every problem with a spec's provider and its options, each under `path` (`primary.options.root`), without creating
 * the provider.
 */
export function specProblems(spec: ProviderSpec, path: string, cwd: string): OptionProblem[] {
  if (isProviderObject(spec)) return [];
  const { name, options } = nameAndOptions(spec);
  let factory: Factory;
  try {
    factory = loadFactory(name, cwd);
  } catch (error) {
    return [{ option: typeof spec === 'string' ? path : `${path}.name`, message: (error as Error).message }];
  }
  const problems = factory.check?.(options) ?? [];
  return problems.map((p) => ({
    option: p.option ? `${path}.options.${p.option}` : `${path}.options`,
    message: p.message,
  }));
}

/** Creates the provider a spec describes (a provider object is used as it is). */
export function createFromSpec(spec: ProviderSpec, path: string, cwd: string): UploadProvider {
  if (isProviderObject(spec)) {
    assertProvider(spec, path);
    return spec;
  }
  const { name, options } = nameAndOptions(spec);
  try {
    const provider = loadFactory(name, cwd)(options);
    assertProvider(provider, `${path} (${name})`);
    return provider;
  } catch (error) {
    if (isProviderError(error)) throw error;
    throw new ProviderError('INVALID_OPTIONS', `${path}: ${String(error)}`, { cause: error });
  }
}

/**
 * The capabilities of the provider a spec describes, without creating it when its factory can say
 * (`capabilitiesFor`); a provider object's own.
 */
export function capabilitiesOfSpec(spec: ProviderSpec, path: string, cwd: string): Capabilities {
  if (isProviderObject(spec)) return spec.capabilities;
  const { name, options } = nameAndOptions(spec);
  const factory = loadFactory(name, cwd);
  if (factory.capabilitiesFor) return factory.capabilitiesFor(options);
  const made = createFromSpec(spec, path, cwd);
  void made.close?.().catch(() => undefined);
  return made.capabilities;
}
