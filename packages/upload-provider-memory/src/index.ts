export type { MemoryAssertions } from './assertions.js';
export { createMemoryHandler, type MemoryHandler, type MemoryHandlerOptions, serveMemory } from './handler.js';
export {
  CAPABILITIES,
  type MemoryProvider,
  type MemoryProviderOptions,
  memoryProvider,
  memoryProvider as default,
} from './provider.js';
export { createMemoryStore, type MemoryObject, MemoryStore } from './store.js';
