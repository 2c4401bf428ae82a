export { createLocalHandler, type LocalHandler, type LocalHandlerOptions } from './handler.js';
export { type LocalProviderOptions, MAX_EXPIRES_IN, MIN_SECRET_LENGTH } from './options.js';
export { type LocalProvider, localProvider } from './provider.js';

import { localProvider } from './provider.js';
export default localProvider;
