import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { loadProvider, type UploadProvider } from 'upload-provider';
import type { UploadServerConfig } from './config/schema.js';

/** Where the local provider's files are served from, on this server. */
export const LOCAL_BASE_PATH = '/uploads';

export type LocalHandler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

export function isLocalProvider(name: string): boolean {
  return name === 'local' || name === 'upload-provider-local';
}

/**
 * The local provider's signing secret when none is configured: made once and kept in the data folder (mode 0600),
 * so signed URLs survive a restart.
 */
function localSecret(dataDir: string): string {
  const file = join(dataDir, 'local-provider.secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(32).toString('hex');
  writeFileSync(file, secret, { mode: 0o600, flag: 'wx' });
  return secret;
}

/**
 * Creates the configured provider. The local one gets defaults: files under the data folder, served by this server
 * at `/uploads` (relative URLs, as Strapi's local provider gives, or absolute under `publicUrl` when it is set).
 */
export async function createProvider(config: UploadServerConfig, cwd: string): Promise<UploadProvider> {
  const { name, options } = config.provider;
  if (isMirrorProvider(name)) return loadProvider(name, await mirrorOptions(config, options, cwd), { cwd });
  if (!isLocalProvider(name)) return loadProvider(name, options, { cwd });
  return createLocal(config, options, cwd);
}

/** The local provider with the server's defaults: files under the data folder, served at `/uploads`. */
async function createLocal(config: UploadServerConfig, options: Record<string, unknown>, cwd: string) {
  const merged: Record<string, unknown> = {
    root: join(config.dataDir, 'uploads'),
    baseUrl: config.publicUrl ? `${config.publicUrl.replace(/\/+$/, '')}${LOCAL_BASE_PATH}` : LOCAL_BASE_PATH,
    ...options,
  };
  if (merged.secret === undefined) merged.secret = localSecret(config.dataDir);
  // The local provider is this package's own dependency: import it from here, not from the working directory.
  const mod = await importLocal();
  const factory = mod.localProvider ?? mod.default;
  if (typeof factory !== 'function') return loadProvider('local', merged, { cwd });
  return loadProvider(factory(merged) as UploadProvider);
}

function isMirrorProvider(name: string): boolean {
  return name === 'mirror' || name === 'upload-provider-mirror';
}

/**
 * upload-provider-mirror's options, with its local providers made here with the server's defaults (as when local is
 * the provider) and other packages resolved from the server's working directory.
 */
async function mirrorOptions(config: UploadServerConfig, options: Record<string, unknown>, cwd: string) {
  const made = async (spec: unknown): Promise<unknown> => {
    if (typeof spec === 'string' && isLocalProvider(spec)) return createLocal(config, {}, cwd);
    const s = spec as { name?: unknown; options?: Record<string, unknown> } | null;
    if (s && typeof s === 'object' && typeof s.name === 'string' && isLocalProvider(s.name) && !('upload' in s)) {
      return createLocal(config, s.options ?? {}, cwd);
    }
    return spec;
  };
  return {
    cwd,
    ...options,
    primary: await made(options.primary),
    ...(Array.isArray(options.mirrors) ? { mirrors: await Promise.all(options.mirrors.map(made)) } : {}),
  };
}

interface LocalModule {
  localProvider?: (options: unknown) => unknown;
  default?: (options: unknown) => unknown;
  createLocalHandler?: (p: UploadProvider) => LocalHandler;
}

async function importLocal(): Promise<LocalModule> {
  // A non-literal specifier: the server type-checks without the local package's types.
  const specifier = 'upload-provider-local';
  return (await import(specifier)) as LocalModule;
}

/**
 * A request handler that a provider brings along under this registered symbol (upload-provider-strapi's bridge does:
 * it serves what Strapi's local provider writes to public/ and checks its signed links), mounted like the local one.
 */
const REQUEST_HANDLER = Symbol.for('upload-provider.requestHandler');

/**
 * The local provider's HTTP handler (downloads, signed URLs, signed POST uploads), when the provider is local or is a
 * mirror whose primary is local (URLs and direct uploads come from the primary).
 */
export async function createLocalHandlerFor(provider: UploadProvider): Promise<LocalHandler | null> {
  const own = (provider as unknown as Record<symbol, unknown>)[REQUEST_HANDLER];
  if (typeof own === 'function') return own as LocalHandler;
  const primary = (provider as { primary?: UploadProvider }).primary;
  const local = isLocalProvider(provider.name) ? provider : primary && isLocalProvider(primary.name) ? primary : null;
  if (!local) return null;
  const mod = await importLocal();
  return typeof mod.createLocalHandler === 'function' ? mod.createLocalHandler(local) : null;
}
