export {
  downloadDisposition,
  formatBytes,
  formatSeconds,
  invalidInput,
  MIME_FAMILY,
  MIME_TYPE,
  shortenFileName,
} from './checks.js';
export { createDebug, redact } from './debug.js';
export {
  type DefinedProvider,
  defineProvider,
  describeIssues,
  httpUrlOption,
  integerOption,
  invalidOptions,
  type OptionProblem,
  type PerOptions,
  type ProviderDefinition,
  type ProviderFactory,
  type ProviderMethods,
  prefixOption,
  z,
} from './define.js';
export {
  ERROR_CODES,
  isAbortError,
  isProviderError,
  ProviderError,
  type ProviderErrorCode,
  type ProviderErrorOptions,
  toProviderError,
} from './errors.js';
export { type GuardOptions, guardProvider, isGuarded } from './guard.js';
export { drainRequest, etagMatches, parseRange } from './http.js';
export {
  type BuildKeyOptions,
  buildKey,
  contentDisposition,
  joinKey,
  MAX_KEY_BYTES,
  normaliseKey,
  normalisePrefix,
  slugifyName,
} from './keys.js';
export { assertProvider, type LoadProviderOptions, loadProvider, providerPackageName } from './load.js';
export { isNetworkError, NETWORK_ERROR_CODES, networkErrorCode } from './network.js';
export { type PostPolicyTerms, postPolicyTerms } from './post-policy.js';
export type * from './resumable.js';
export {
  assertDeclaredSize,
  ByteCounter,
  guardBody,
  knownSize,
  SizeGuard,
  type SizeGuardOptions,
  toReadable,
} from './streams.js';
export type * from './types.js';
