// The one-call Jest binding, run on the working memory provider: this is how a community author uses the suite.
import { afterAll, beforeAll } from '@jest/globals';
import { describeProviderConformance } from '../src/index.js';
import { type MemoryBackend, memoryProvider, serveMemory } from './support/memory-provider.js';

let backend: MemoryBackend;
beforeAll(async () => {
  backend = await serveMemory();
});
afterAll(() => new Promise<void>((resolve) => backend.server.close(() => resolve())));

const capabilities = {
  read: true,
  rangeRead: true,
  stat: true,
  directUpload: false,
  downloadName: false,
  contentType: true,
  unknownSize: true,
};

describeProviderConformance({
  name: 'memory (private)',
  create: () => memoryProvider({ backend, private: true }),
  capabilities,
  private: true,
  factory: memoryProvider,
  invalidOptions: [
    { options: { backend: 'nope', private: 'yes' }, mentions: ['memory', 'backend', 'private'] },
    { options: { maxBytes: -1 }, mentions: ['backend', 'maxBytes'] },
  ],
  largeFileBytes: 2 * 1024 * 1024,
});
