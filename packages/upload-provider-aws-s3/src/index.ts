import { awsS3Provider } from './provider.js';

export { PROVIDER_NAME, toS3ProviderError } from './errors.js';
export { type AwsS3ProviderOptions, awsS3OptionsSchema, S3_LIMITS } from './options.js';
export { type AwsS3Provider, awsS3Provider } from './provider.js';
export { encodeKey } from './urls.js';

export default awsS3Provider;
