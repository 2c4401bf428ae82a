import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import type { z } from 'zod';
import { configSchema, type UploadServerConfig } from './schema.js';

export const CONFIG_FILE_NAMES = [
  'upload.config.ts',
  'upload.config.mts',
  'upload.config.js',
  'upload.config.mjs',
  'upload.config.json',
];

/** One bad config field: its dotted path, where its value came from, and what is wrong. */
export interface ConfigProblem {
  path: string;
  source: string;
  message: string;
}

/** The configuration cannot be used; `message` names every bad field. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly problems: ConfigProblem[],
    readonly file?: string,
  ) {
    const where = file ? ` (${file})` : '';
    const list = problems.map((p) => `  - ${p.path || '(root)'}${p.source ? ` [${p.source}]` : ''}: ${p.message}`);
    super(`Invalid upload-server configuration${where}:\n${list.join('\n')}`);
  }
}

export interface LoadConfigOptions {
  /** Working directory: config file lookup, relative paths. Default `process.cwd()`. */
  cwd?: string;
  /** A config file to use instead of looking one up (also `UPLOAD_CONFIG`). */
  file?: string;
  /** Environment variables. Default `process.env`. */
  env?: Record<string, string | undefined>;
  /** Values that win over the file and the environment (CLI flags, tests). */
  overrides?: Record<string, unknown>;
}

export interface LoadedConfig {
  config: UploadServerConfig;
  /** The config file used, if any. */
  file: string | undefined;
}

type Env = Record<string, string | undefined>;
type Plain = Record<string, unknown>;

/** Environment variables and the config path each one sets. */
export const ENV_VARS: Array<{ name: string; path: string[]; parse: (v: string) => unknown }> = [
  { name: 'PORT', path: ['port'], parse: (v) => v },
  { name: 'HOST', path: ['host'], parse: (v) => v },
  { name: 'DATABASE_URL', path: ['database', 'url'], parse: (v) => v },
  { name: 'UPLOAD_DATABASE_SCHEMA', path: ['database', 'schema'], parse: (v) => v },
  { name: 'UPLOAD_PUBLIC_URL', path: ['publicUrl'], parse: (v) => v },
  { name: 'UPLOAD_DATA_DIR', path: ['dataDir'], parse: (v) => v },
  { name: 'UPLOAD_TEMP_DIR', path: ['tempDir'], parse: (v) => v },
  { name: 'UPLOAD_PROVIDER', path: ['provider', 'name'], parse: (v) => v },
  { name: 'UPLOAD_PROVIDER_OPTIONS', path: ['provider', 'options'], parse: parseJson },
  { name: 'UPLOAD_SIZE_LIMIT', path: ['sizeLimit'], parse: (v) => v },
  { name: 'UPLOAD_ALLOWED_TYPES', path: ['allowedTypes'], parse: parseList },
  { name: 'UPLOAD_DENIED_TYPES', path: ['deniedTypes'], parse: parseList },
  { name: 'UPLOAD_PUBLIC_READ', path: ['publicRead'], parse: parseBool },
  { name: 'UPLOAD_PUBLIC_SECRET_LINKS', path: ['publicSecretLinks'], parse: parseBool },
  { name: 'UPLOAD_IMAGE_FORMATS', path: ['images', 'formats'], parse: parseBool },
  { name: 'UPLOAD_SIGNED_URL_EXPIRES_IN', path: ['signedUrlExpiresIn'], parse: parseIntOrRaw },
  { name: 'UPLOAD_ORPHAN_GRACE_MS', path: ['orphanGraceMs'], parse: parseIntOrRaw },
  { name: 'UPLOAD_CORS_ORIGINS', path: ['corsOrigins'], parse: (v) => (v.trim() === '*' ? '*' : parseList(v)) },
  { name: 'LOG_LEVEL', path: ['logLevel'], parse: (v) => v },
  { name: 'LOG_FORMAT', path: ['logFormat'], parse: (v) => v },
];

class EnvValueError extends Error {}

function parseJson(v: string): unknown {
  try {
    return JSON.parse(v);
  } catch {
    throw new EnvValueError('must be JSON');
  }
}
function parseList(v: string): string[] {
  return v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}
function parseBool(v: string): unknown {
  if (/^(1|true|yes|on)$/i.test(v)) return true;
  if (/^(0|false|no|off)$/i.test(v)) return false;
  throw new EnvValueError('must be true or false');
}
function parseIntOrRaw(v: string): unknown {
  return /^\d+$/.test(v) ? Number(v) : v;
}

/** Finds the config file: the explicit one, `UPLOAD_CONFIG`, or the first `upload.config.*` in `cwd`. */
export function findConfigFile(cwd: string, explicit: string | undefined, env: Env): string | undefined {
  const given = explicit ?? env.UPLOAD_CONFIG;
  if (given) {
    const path = resolve(cwd, given);
    if (!existsSync(path)) throw new ConfigError([{ path: '', source: 'config file', message: `no file at ${path}` }]);
    return path;
  }
  for (const name of CONFIG_FILE_NAMES) {
    const path = join(cwd, name);
    if (existsSync(path)) return path;
  }
  return undefined;
}

/**
 * Reads a config file. JSON is parsed; `.js`/`.mjs` are imported (default export, or a function returning the
 * config); `.ts`/`.mts` are compiled with `@swc/core` to a temporary module next to the file (so its relative
 * imports resolve), imported, then removed.
 */
export async function readConfigFile(path: string): Promise<unknown> {
  const ext = extname(path);
  if (ext === '.json') {
    try {
      return JSON.parse(readFileSync(path, 'utf8'));
    } catch (cause) {
      throw new ConfigError(
        [{ path: '', source: basename(path), message: `not valid JSON: ${(cause as Error).message}` }],
        path,
      );
    }
  }
  let target = path;
  let temp: string | undefined;
  if (ext === '.ts' || ext === '.mts') {
    const { transformFileSync } = await import('@swc/core');
    const out = transformFileSync(path, {
      jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
      module: { type: 'es6' },
      sourceMaps: false,
    });
    temp = join(dirname(path), `.${basename(path, ext)}.${randomBytes(4).toString('hex')}.mjs`);
    writeFileSync(temp, out.code);
    target = temp;
  }
  try {
    const mod = (await import(target)) as { default?: unknown };
    const value = mod.default ?? mod;
    return typeof value === 'function' ? await (value as () => unknown)() : value;
  } catch (cause) {
    if (cause instanceof ConfigError) throw cause;
    throw new ConfigError(
      [{ path: '', source: basename(path), message: `failed to load: ${(cause as Error).message}` }],
      path,
    );
  } finally {
    if (temp) rmSync(temp, { force: true });
  }
}

function setPath(target: Plain, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Plain;
  }
  node[path[path.length - 1]!] = value;
}

function getPath(target: unknown, path: string[]): unknown {
  let node = target;
  for (const key of path) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Plain)[key];
  }
  return node;
}

/** `provider: 'aws-s3'` in a file is short for `provider: { name: 'aws-s3' }`, so environment options merge into it. */
function providerShorthand(file: Plain): Plain {
  return typeof file.provider === 'string' ? { ...file, provider: { name: file.provider } } : file;
}

function deepMerge(base: Plain, over: Plain): Plain {
  const out: Plain = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) continue;
    const prev = out[k];
    out[k] =
      v && typeof v === 'object' && !Array.isArray(v) && prev && typeof prev === 'object' && !Array.isArray(prev)
        ? deepMerge(prev as Plain, v as Plain)
        : v;
  }
  return out;
}

/**
 * Validates a raw config object (defaults filled in). Throws {@link ConfigError} naming every bad field.
 * `sources` maps a dotted path to where its value came from (an environment variable, a flag).
 */
export function parseConfig(raw: unknown, sources: Record<string, string> = {}, file?: string): UploadServerConfig {
  const result = configSchema.safeParse(raw ?? {});
  if (result.success) return result.data;
  throw new ConfigError(describe(result.error, sources, file ? basename(file) : ''), file);
}

function describe(error: z.ZodError, sources: Record<string, string>, fileSource: string): ConfigProblem[] {
  return error.issues.flatMap((issue) => {
    const keys = issue.code === 'unrecognized_keys' ? issue.keys : [undefined];
    return keys.map((extra) => {
      const path = [...issue.path.map(String), ...(extra ? [extra] : [])].join('.');
      const source = sources[path] ?? (fileSource || '');
      const message = extra ? 'is not a known option' : issue.message;
      return { path, source, message };
    });
  });
}

/** Loads the configuration: defaults, then the config file, then the environment, then `overrides`. */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<LoadedConfig> {
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  const file = findConfigFile(cwd, options.file, env);
  const fromFile = file ? await readConfigFile(file) : {};
  if (typeof fromFile !== 'object' || fromFile === null || Array.isArray(fromFile)) {
    throw new ConfigError([{ path: '', source: file ? basename(file) : '', message: 'must export an object' }], file);
  }
  const sources: Record<string, string> = {};
  const fromEnv: Plain = {};
  const envProblems: ConfigProblem[] = [];
  for (const spec of ENV_VARS) {
    const value = env[spec.name];
    if (value === undefined || value === '') continue;
    const path = spec.path.join('.');
    try {
      setPath(fromEnv, spec.path, spec.parse(value));
      sources[path] = spec.name;
    } catch (e) {
      envProblems.push({ path, source: spec.name, message: (e as Error).message });
    }
  }
  // A single full-access token from the environment, e.g. for containers.
  if (env.UPLOAD_TOKEN) {
    const tokens = (getPath(fromFile, ['tokens']) as unknown[] | undefined) ?? [];
    setPath(
      fromEnv,
      ['tokens'],
      [...tokens, { name: 'env:UPLOAD_TOKEN', token: env.UPLOAD_TOKEN, access: 'full-access' }],
    );
    sources[`tokens.${tokens.length}.token`] = 'UPLOAD_TOKEN';
  }
  const overrides = options.overrides ?? {};
  for (const [k, v] of Object.entries(overrides)) if (v !== undefined) sources[k] = 'command line';
  const merged = deepMerge(deepMerge(providerShorthand(fromFile as Plain), fromEnv), overrides);
  let config: UploadServerConfig | undefined;
  let problems = envProblems;
  try {
    config = parseConfig(merged, sources, file);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    problems = [...envProblems, ...e.problems.filter((p) => !envProblems.some((q) => q.path === p.path))];
  }
  if (problems.length > 0 || !config) throw new ConfigError(problems, file);
  return {
    config: {
      ...config,
      dataDir: resolve(cwd, config.dataDir),
      ...(config.tempDir ? { tempDir: resolve(cwd, config.tempDir) } : {}),
    },
    file,
  };
}
