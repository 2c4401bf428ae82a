export { type MirrorOptions, mirrorOptionsSchema } from './options.js';
export {
  type MirrorProvider,
  mirrorCapabilities,
  mirrorProvider,
  mirrorProvider as default,
  PROVIDER_NAME,
} from './provider.js';
export type { RepairResult } from './repair.js';
export type { RepairRecord } from './repair-log.js';
export type { ProviderSpec } from './specs.js';
