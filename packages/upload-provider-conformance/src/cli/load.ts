// How the CLI finds a module's conformance set-up: `<target>` to a file, then the file's exports to options.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { UploadProvider } from 'upload-provider';
import type { ConformanceFactory, ConformanceOptions } from '../options.js';

/** A mistake in how the CLI was called or in what the module exports: exit 2, with a message saying what to change. */
export class UsageError extends Error {}

export interface Target {
  /** Absolute path of the module to import. */
  file: string;
  /** The package's name, or the file's, as the suite's default label. */
  label: string;
}

/** `<target>` is a path (file or package folder) or a package name found in node_modules from `cwd` up. */
export function resolveTarget(target: string, cwd: string): Target {
  const asPath = resolve(cwd, target);
  if (/^(\.{1,2}([/\\]|$)|[/\\]|[A-Za-z]:)/.test(target) || existsSync(asPath)) {
    if (!existsSync(asPath)) throw new UsageError(`${target}: no such file or folder`);
    if (statSync(asPath).isDirectory()) return packageEntry(asPath);
    return { file: asPath, label: basename(asPath).replace(/\.[cm]?js$/, '') };
  }
  for (let dir = cwd; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', target);
    if (existsSync(join(candidate, 'package.json'))) return packageEntry(candidate);
    if (dirname(dir) === dir) break;
  }
  throw new UsageError(
    `${target}: not a file, a folder or an installed package (looked in node_modules from ${cwd} up)`,
  );
}

/** A package's `./conformance` export when it has one, else its main entry. */
function packageEntry(dir: string): Target {
  const manifestPath = join(dir, 'package.json');
  if (!existsSync(manifestPath)) throw new UsageError(`${dir} has no package.json: name a module file instead`);
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
    name?: string;
    main?: string;
    exports?: unknown;
  };
  const exportsMap =
    typeof manifest.exports === 'string' || Array.isArray(manifest.exports)
      ? { '.': manifest.exports }
      : ((manifest.exports ?? {}) as Record<string, unknown>);
  const hasSubpaths = Object.keys(exportsMap).some((k) => k.startsWith('.'));
  const root = hasSubpaths ? exportsMap['.'] : manifest.exports;
  const entry = pick(exportsMap['./conformance']) ?? pick(root) ?? manifest.main ?? 'index.js';
  const file = resolve(dir, entry);
  if (!existsSync(file))
    throw new UsageError(`${manifest.name ?? dir}: its entry ${entry} does not exist (build the package first?)`);
  return { file, label: manifest.name ?? basename(dir) };
}

/** The file an `exports` value points an ESM `import` at: a string, or the `import`/`node`/`default` condition. */
function pick(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(pick).find(Boolean);
  if (value && typeof value === 'object') {
    const conditions = value as Record<string, unknown>;
    for (const c of ['import', 'node', 'default']) {
      const found = pick(conditions[c]);
      if (found) return found;
    }
  }
  return undefined;
}

const isFactory = (value: unknown): value is ConformanceFactory =>
  typeof value === 'function' && typeof (value as { providerName?: unknown }).providerName === 'string';

/**
 * The suite's options from a module: its `conformance` export (an object, or a function called with `--options`),
 * else its provider factory (the default export, or the only factory it exports) called with `--options`.
 */
export async function conformanceFrom(
  mod: Record<string, unknown>,
  options: unknown,
  label: string,
): Promise<ConformanceOptions<UploadProvider>> {
  const exported = mod.conformance;
  if (exported !== undefined) {
    let setup: unknown;
    if (typeof exported === 'function' && !isFactory(exported)) setup = await exported(options);
    else if (exported && typeof exported === 'object') {
      if (options !== undefined)
        throw new UsageError(
          '--options was given, but `conformance` is an object: export a function `conformance(options)` that returns the set-up to receive them',
        );
      setup = exported;
    }
    if (!setup || typeof setup !== 'object')
      throw new UsageError('`conformance` must be an object, or a function returning one, with at least `create()`');
    const set = setup as Partial<ConformanceOptions<UploadProvider>>;
    if (typeof set.create !== 'function' && !(isFactory(set.factory) && 'options' in set))
      throw new UsageError('`conformance` needs `create()` (or `factory` with `options`) to make a provider per case');
    return { name: label, ...set } as ConformanceOptions<UploadProvider>;
  }
  const factories = Object.values(mod).filter(isFactory);
  const factory = isFactory(mod.default) ? mod.default : factories.length === 1 ? factories[0] : undefined;
  if (!factory)
    throw new UsageError(
      factories.length > 1
        ? `the module exports ${factories.length} provider factories: export \`conformance\` to say which to test`
        : 'the module exports neither `conformance` nor a provider factory (made by defineProvider) as its default export',
    );
  return { name: label, factory, options: options ?? {} };
}

/** `--options` as inline JSON (starting with `{` or `[`) or as the path of a JSON file. */
export function readOptions(value: string | undefined, cwd: string): unknown {
  if (value === undefined) return undefined;
  const inline = /^\s*[[{]/.test(value);
  let text = value;
  if (!inline) {
    const file = resolve(cwd, value);
    if (!existsSync(file)) throw new UsageError(`--options ${value}: no such file (give a JSON file or inline JSON)`);
    text = readFileSync(file, 'utf8');
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--options ${inline ? '(inline)' : value} is not valid JSON: ${(error as Error).message}`);
  }
}
