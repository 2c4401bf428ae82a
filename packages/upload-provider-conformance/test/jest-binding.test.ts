// The one-line Jest binding on the memory provider: how a community author uses the suite in Jest. Capabilities
// come from nowhere but the provider: `create()` cannot run before `setup`, so they are read from the factory.
import { memoryProvider, serveMemory } from 'upload-provider-memory';
import { describeProviderConformance } from '../src/bindings/jest.js';

let server: Awaited<ReturnType<typeof serveMemory>>;

describeProviderConformance({
  name: 'memory (private, jest binding)',
  setup: async () => {
    server = await serveMemory();
  },
  teardown: () => server.close(),
  create: () => memoryProvider({ store: server.store, baseUrl: server.baseUrl, private: true }),
  capabilities: { ...memoryProvider({}).capabilities },
  private: true,
  factory: memoryProvider,
  invalidOptions: [
    { options: { store: 'nope', private: 'yes' }, mentions: ['memory', 'store', 'private'] },
    { options: { maxObjectSize: -1 }, mentions: ['maxObjectSize'] },
  ],
  largeFileBytes: 2 * 1024 * 1024,
});
