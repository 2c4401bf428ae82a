import { createRequire } from 'node:module';
import { isAbsolute, join, resolve } from 'node:path';
import { ProviderError } from 'upload-provider';
import type { StrapiProviderModule } from './options.js';

export const PROVIDER_NAME = 'strapi';

/** What a Strapi provider's `init()` returns; every method is optional until checked by {@link assertInstance}. */
export interface StrapiProviderInstance {
  upload?(file: StrapiFile, options?: unknown): Promise<unknown> | unknown;
  uploadStream?(file: StrapiFile, options?: unknown): Promise<unknown> | unknown;
  delete?(file: StrapiFile, options?: unknown): Promise<unknown> | unknown;
  getSignedUrl?(file: StrapiFile, options?: unknown): Promise<{ url?: string }> | { url?: string };
  isPrivate?(): boolean | Promise<boolean>;
  checkFileSize?(file: StrapiFile, options: { sizeLimit?: number }): unknown;
}

/** The file object Strapi's upload plugin hands its providers (the fields they read and write). */
export interface StrapiFile {
  name: string;
  hash: string;
  ext: string;
  mime: string;
  /** In kilobytes, with two decimals, as Strapi gives it. */
  size: number;
  sizeInBytes?: number;
  path?: string;
  folderPath?: string;
  stream?: NodeJS.ReadableStream;
  buffer?: Buffer;
  url?: string;
  previewUrl?: string;
  provider_metadata?: Record<string, unknown> | null;
  [field: string]: unknown;
}

function isPath(spec: string): boolean {
  return spec.startsWith('.') || isAbsolute(spec);
}

/**
 * Loads a Strapi provider module the way Strapi 5 does (`@strapi/provider-upload-<name>` first, then `<name>`),
 * resolving from `cwd`. Throws `PROVIDER_NOT_FOUND` naming what to install.
 */
export function loadStrapiModule(spec: string, cwd: string): StrapiProviderModule {
  const req = createRequire(join(cwd, 'noop.js'));
  const candidates = isPath(spec) ? [resolve(cwd, spec)] : [`@strapi/provider-upload-${spec}`, spec];
  let entry: string | undefined;
  for (const candidate of candidates) {
    try {
      entry = req.resolve(candidate);
      break;
    } catch {
      // try the next name, as Strapi does
    }
  }
  if (!entry) {
    throw new ProviderError(
      'PROVIDER_NOT_FOUND',
      `cannot find the Strapi upload provider "${spec}" from ${cwd}: install it (\`npm install ${
        isPath(spec) ? spec : candidates.at(-1)
      }\`) or fix options.provider`,
      { provider: PROVIDER_NAME },
    );
  }
  try {
    const mod = req(entry) as StrapiProviderModule & { default?: StrapiProviderModule };
    return typeof mod.init === 'function' ? mod : (mod.default ?? mod);
  } catch (cause) {
    throw new ProviderError(
      'PROVIDER_NOT_FOUND',
      `the Strapi upload provider "${spec}" failed to load: ${String(cause)}`,
      {
        provider: PROVIDER_NAME,
        cause,
      },
    );
  }
}

/** Refuses, at start-up, a module without `init` or an instance without `delete` or any upload method. */
export function assertInstance(
  mod: StrapiProviderModule,
  label: string,
  providerOptions: unknown,
): StrapiProviderInstance {
  if (typeof mod?.init !== 'function') {
    throw invalid(`the Strapi upload provider ${label} has no init() function, so it is not a Strapi upload provider`);
  }
  let instance: unknown;
  try {
    instance = mod.init(providerOptions);
  } catch (cause) {
    throw invalid(
      `the Strapi upload provider ${label} refused its providerOptions: ${(cause as Error)?.message ?? cause}`,
      cause,
    );
  }
  if (
    typeof instance !== 'object' ||
    instance === null ||
    typeof (instance as { then?: unknown }).then === 'function'
  ) {
    throw invalid(
      `the Strapi upload provider ${label}: init() must return the provider object (it returned ${typeof instance})`,
    );
  }
  const i = instance as StrapiProviderInstance;
  const missing: string[] = [];
  if (typeof i.delete !== 'function') missing.push('delete()');
  if (typeof i.upload !== 'function' && typeof i.uploadStream !== 'function')
    missing.push('upload() or uploadStream()');
  if (missing.length > 0) {
    throw invalid(
      `the Strapi upload provider ${label} lacks ${missing.join(' and ')}; Strapi needs both to store files`,
    );
  }
  return i;
}

function invalid(message: string, cause?: unknown): ProviderError {
  return new ProviderError('INVALID_OPTIONS', `invalid options: provider: ${message}`, {
    provider: PROVIDER_NAME,
    cause,
  });
}
