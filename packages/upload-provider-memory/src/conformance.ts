// What `npx upload-provider-conformance upload-provider-memory` runs: a server for one store, a provider per case.
import { serveMemory } from './handler.js';
import { type MemoryProvider, type MemoryProviderOptions, memoryProvider } from './provider.js';

/** The conformance set-up, with `options` (from `--options`) passed to each provider (`store`/`baseUrl` are set here). */
export function conformance(options: Omit<MemoryProviderOptions, 'store' | 'baseUrl'> = {}) {
  let server: Awaited<ReturnType<typeof serveMemory>> | undefined;
  const label = options.private ? 'private' : 'public';
  return {
    name: `upload-provider-memory (${label})`,
    async setup() {
      server = await serveMemory();
    },
    create: (): MemoryProvider => memoryProvider({ ...options, store: server!.store, baseUrl: server!.baseUrl }),
    async teardown() {
      await server?.close();
    },
    factory: memoryProvider,
    invalidOptions: [
      { options: { store: 'nope', private: 'yes' }, mentions: ['memory', 'store', 'private'] },
      { options: { baseUrl: 'ftp://x', maxObjectSize: -1 }, mentions: ['baseUrl', 'maxObjectSize'] },
    ],
  };
}
