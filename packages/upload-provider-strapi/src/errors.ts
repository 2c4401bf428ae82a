import { isAbortError, isNetworkError, isProviderError, ProviderError, type ProviderErrorCode } from 'upload-provider';
import { PROVIDER_NAME } from './load.js';

const NOT_FOUND = new Set(['NotFound', 'NoSuchKey', 'NoSuchBucket', 'ENOENT', 'NotFoundError']);
const DENIED = new Set([
  'AccessDenied',
  'Forbidden',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'EACCES',
  'EPERM',
  'ForbiddenError',
  'UnauthorizedError',
]);
const BUSY = new Set(['SlowDown', 'ServiceUnavailable', 'InternalError', 'RequestTimeout', 'ThrottlingException']);

/**
 * A Strapi provider's failure as a `ProviderError`: Strapi's own error classes, the AWS SDK's names and statuses,
 * Node's system codes and network failures are recognised; anything else is `INTERNAL`. The original is the cause.
 */
export function fromStrapiError(error: unknown, doing: string): ProviderError {
  if (isProviderError(error)) return error;
  const code = codeOf(error);
  const message = (error as Error)?.message ?? String(error);
  return new ProviderError(code, `the Strapi provider failed to ${doing}: ${message}`, {
    provider: PROVIDER_NAME,
    cause: error,
  });
}

function codeOf(error: unknown): ProviderErrorCode {
  if (isAbortError(error)) return 'ABORTED';
  if (typeof error !== 'object' || error === null) return 'INTERNAL';
  const e = error as {
    name?: string;
    code?: string;
    Code?: string;
    status?: number;
    http_code?: number;
    $metadata?: { httpStatusCode?: number };
  };
  const names = [e.name, e.code, e.Code].filter((v): v is string => typeof v === 'string');
  const status = e.$metadata?.httpStatusCode ?? e.status ?? e.http_code;
  if (names.includes('PayloadTooLargeError') || names.includes('EntityTooLarge') || status === 413) return 'TOO_LARGE';
  if (names.some((n) => NOT_FOUND.has(n)) || status === 404) return 'NOT_FOUND';
  if (names.some((n) => DENIED.has(n)) || status === 401 || status === 403) return 'ACCESS_DENIED';
  if (names.some((n) => BUSY.has(n)) || status === 429 || (status !== undefined && status >= 500)) return 'UNAVAILABLE';
  if (isNetworkError(error)) return 'UNAVAILABLE';
  return 'INTERNAL';
}
