import { defineProvider } from 'upload-provider';
import { optionsSchema } from './options.js';
import { createCloudinaryProvider, PROVIDER_NAME } from './provider.js';

/**
 * Cloudinary as an upload provider: images, videos and raw files, public or private (`authenticated`/`private`)
 * delivery, expiring signed URLs through the download API, and signed browser uploads.
 */
export const cloudinaryProvider = defineProvider({
  name: PROVIDER_NAME,
  options: optionsSchema,
  create: createCloudinaryProvider,
});

export default cloudinaryProvider;
export type { CloudinaryOptions } from './options.js';
export { DEFAULT_CHUNK_BYTES, MAX_CHUNK_BYTES, MIN_CHUNK_BYTES, parseCloudinaryUrl } from './options.js';
export type { CloudinaryProvider } from './provider.js';
export type { CloudinarySdk } from './sdk.js';
