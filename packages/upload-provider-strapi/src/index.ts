import { strapiProvider } from './provider.js';

export type { BridgeMetadata } from './file-object.js';
export type { StrapiFile, StrapiProviderInstance } from './load.js';
export type { ResolvedBridgeOptions, StrapiBridgeOptions, StrapiProviderModule } from './options.js';
export {
  REQUEST_HANDLER,
  type StrapiBridge,
  type StrapiRequestHandler,
  strapiProvider,
} from './provider.js';

/** `provider: 'strapi'` loads this package and calls its default export. */
export default strapiProvider;
