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
  if (!isLocalProvider(name)) return loadProvider(name, options, { cwd });
  const merged: Record<string, unknown> = {
    root: join(config.dataDir, 'uploads'),
    baseUrl: config.publicUrl ? `${config.publicUrl.replace(/\/+$/, '')}${LOCAL_BASE_PATH}` : LOCAL_BASE_PATH,
    ...options,
  };
  if (merged.secret === undefined) merged.secret = localSecret(config.dataDir);
  // The local provider is this package's own dependency: import it from here, not from the working directory.
  const mod = await importLocal();
  const factory = mod.localProvider ?? mod.default;
  if (typeof factory !== 'function') return loadProvider(name, merged, { cwd });
  return loadProvider(factory(merged) as UploadProvider);
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

/** The local provider's HTTP handler (downloads, signed URLs, signed POST uploads), when the provider is local. */
export async function createLocalHandlerFor(provider: UploadProvider): Promise<LocalHandler | null> {
  const own = (provider as unknown as Record<symbol, unknown>)[REQUEST_HANDLER];
  if (typeof own === 'function') return own as LocalHandler;
  if (!isLocalProvider(provider.name)) return null;
  const mod = await importLocal();
  return typeof mod.createLocalHandler === 'function' ? mod.createLocalHandler(provider) : null;
}
