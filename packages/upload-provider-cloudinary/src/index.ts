import { cloudinaryProvider } from './provider.js';

export default cloudinaryProvider;
export type { CloudinaryOptions } from './options.js';
export { DEFAULT_CHUNK_BYTES, MAX_CHUNK_BYTES, MIN_CHUNK_BYTES, parseCloudinaryUrl } from './options.js';
export { type CloudinaryProvider, cloudinaryProvider } from './provider.js';
export type { CloudinarySdk } from './sdk.js';
