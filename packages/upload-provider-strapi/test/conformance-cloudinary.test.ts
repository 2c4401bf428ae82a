import { describeProviderConformance } from 'upload-provider-conformance';
import { strapiProvider } from '../src/index.js';
import { useStrapiCloud } from './support/backends.js';
import { useBridgeHost } from './support/bridge-server.js';

// @strapi/provider-upload-cloudinary from npm, with the real cloudinary SDK, against the Cloudinary stand-in of the
// cloudinary package. Cloudinary refuses empty files, so the bridge is told so (emptyFiles: false).
const host = useBridgeHost();
const cloud = useStrapiCloud('strapi-cloud');

describeProviderConformance({
  name: 'strapi bridge over @strapi/provider-upload-cloudinary (Cloudinary stand-in)',
  capabilities: strapiProvider.capabilitiesFor({ provider: '@strapi/provider-upload-cloudinary', emptyFiles: false }),
  private: false,
  create: () =>
    host.make({
      provider: '@strapi/provider-upload-cloudinary',
      providerOptions: cloud.providerOptions(),
      emptyFiles: false,
    }),
  cleanup: (p) => p.close(),
});
