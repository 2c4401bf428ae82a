import { gcsProvider } from './provider.js';

export { httpStatus, PROVIDER_NAME, toGcsProviderError } from './errors.js';
export {
  DEFAULTS,
  GCS_LIMITS,
  type GcsProviderOptions,
  gcsOptionsSchema,
  type ServiceAccountCredentials,
  type Visibility,
} from './options.js';
export { type GcsProvider, gcsProvider } from './provider.js';
export { encodeKey } from './urls.js';

export default gcsProvider;
