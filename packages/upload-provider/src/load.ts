import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isAbsolute, join, resolve } from 'node:path';
import { ProviderError } from './errors.js';
import { guardProvider } from './guard.js';
import type { UploadProvider } from './types.js';

const REQUIRED_METHODS = ['upload', 'delete', 'signUrl', 'isPrivate', 'url'] as const;

/** Throws `INVALID_INPUT` unless `value` has every required member of the contract. */
export function assertProvider(value: unknown, source = 'the provider'): asserts value is UploadProvider {
  const missing: string[] = [];
  if (typeof value !== 'object' || value === null) {
    throw new ProviderError('INVALID_INPUT', `${source} is not an upload provider object`);
  }
  const v = value as Record<string, unknown>;
  if (typeof v.name !== 'string' || v.name === '') missing.push('name');
  if (typeof v.capabilities !== 'object' || v.capabilities === null) missing.push('capabilities');
  for (const m of REQUIRED_METHODS) if (typeof v[m] !== 'function') missing.push(`${m}()`);
  if (missing.length > 0) {
    throw new ProviderError('INVALID_INPUT', `${source} is not an upload provider: it lacks ${missing.join(', ')}`);
  }
}

/** Package name for a provider spec: `'aws-s3'` → `upload-provider-aws-s3`; full names and paths pass through. */
export function providerPackageName(spec: string): string {
  if (isPathSpec(spec) || spec.startsWith('@') || spec.startsWith('upload-provider-')) return spec;
  return `upload-provider-${spec}`;
}

function isPathSpec(spec: string): boolean {
  return spec.startsWith('.') || isAbsolute(spec) || spec.startsWith('file:');
}

export interface LoadProviderOptions {
  /** Where to resolve package names and relative paths from. Default `process.cwd()`. */
  cwd?: string;
}

type ProviderModule = Record<string, unknown>;

/**
 * Resolves and creates a provider. `spec` is a short name (`'aws-s3'` loads `upload-provider-aws-s3`), a full package
 * name, a path to a module, or an already-made provider object. The module's default export (or its
 * `createProvider` export) is called with `options`. What comes back is always behind the core's guard: a provider
 * made with `defineProvider` already is; a plain object is guarded in place ({@link guardProvider}, without limits),
 * so the same object is returned.
 *
 * Throws `PROVIDER_NOT_FOUND` naming the package to install, `INVALID_OPTIONS` from the factory, `INVALID_INPUT` when
 * the module does not export a provider factory.
 */
export async function loadProvider(
  spec: string | UploadProvider,
  options: unknown = {},
  { cwd = process.cwd() }: LoadProviderOptions = {},
): Promise<UploadProvider> {
  if (typeof spec !== 'string') {
    assertProvider(spec);
    return guardProvider(spec);
  }
  const target = providerPackageName(spec);
  const mod = await importProvider(spec, target, cwd);
  const factory = pickFactory(mod);
  if (!factory) {
    throw new ProviderError(
      'INVALID_INPUT',
      `${target} does not export a provider factory (a default export or \`createProvider\` made with defineProvider)`,
    );
  }
  const provider = factory(options);
  assertProvider(provider, target);
  return guardProvider(provider);
}

function pickFactory(mod: ProviderModule): ((options: unknown) => unknown) | undefined {
  const candidates = [mod.default, mod.createProvider, (mod.default as ProviderModule | undefined)?.default];
  return candidates.find((c): c is (options: unknown) => unknown => typeof c === 'function');
}

async function importProvider(spec: string, target: string, cwd: string): Promise<ProviderModule> {
  let entry: string = target;
  if (isPathSpec(target)) {
    const path = resolve(cwd, target.replace(/^file:(\/\/)?/, ''));
    if (!existsSync(path)) {
      throw new ProviderError('PROVIDER_NOT_FOUND', `cannot find the provider "${spec}": no module at ${path}`);
    }
    entry = createRequire(join(cwd, 'noop.js')).resolve(path);
  } else {
    // The application's own node_modules first; a bare import then resolves from wherever this package lives.
    try {
      entry = createRequire(join(cwd, 'noop.js')).resolve(target);
    } catch {
      entry = target;
    }
  }
  try {
    return (await import(entry)) as ProviderModule;
  } catch (cause) {
    const code = (cause as { code?: string }).code;
    if ((code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && String(cause).includes(target)) {
      throw new ProviderError(
        'PROVIDER_NOT_FOUND',
        `cannot find the provider "${spec}": install its package with \`npm install ${target}\``,
        { cause },
      );
    }
    throw new ProviderError('PROVIDER_NOT_FOUND', `the provider package ${target} failed to load: ${String(cause)}`, {
      cause,
    });
  }
}
