import { ProviderError } from 'upload-provider';
import type { ResolvedLocalOptions } from './options.js';
import type { DiskStore } from './store.js';
import type { Locations } from './urls.js';

/** What the request handler needs from a provider; kept out of the provider object, which stays the plain contract. */
export interface LocalInternals {
  options: ResolvedLocalOptions;
  store: DiskStore;
  locations: Locations;
  secret: string | undefined;
  debug: (message: string, data?: unknown) => void;
}

const registry = new WeakMap<object, LocalInternals>();

export function registerInternals(provider: object, internals: LocalInternals): void {
  registry.set(provider, internals);
}

export function internalsOf(provider: unknown): LocalInternals {
  const internals = typeof provider === 'object' && provider !== null ? registry.get(provider) : undefined;
  if (!internals) {
    throw new ProviderError(
      'INVALID_INPUT',
      'createLocalHandler needs a provider made by localProvider() from upload-provider-local',
      { provider: 'local' },
    );
  }
  return internals;
}
