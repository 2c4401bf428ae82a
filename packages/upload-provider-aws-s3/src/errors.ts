import {
  isAbortError,
  isNetworkError,
  isProviderError,
  NETWORK_ERROR_CODES,
  ProviderError,
  type ProviderErrorCode,
} from 'upload-provider';

export const PROVIDER_NAME = 'aws-s3';

const NOT_FOUND = new Set(['NoSuchKey', 'NotFound', 'NoSuchBucket', 'NoSuchUpload', 'NoSuchVersion']);
const DENIED = new Set([
  'AccessDenied',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'InvalidToken',
  'TokenRefreshRequired',
  'AllAccessDisabled',
  'AccountProblem',
  'InvalidObjectState',
  'RequestTimeTooSkewed',
  'CredentialsProviderError',
  'UnrecognizedClientException',
  'Forbidden',
]);
const UNAVAILABLE = new Set([
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'RequestTimeout',
  'RequestTimeoutException',
  'ServiceUnavailable',
  'InternalError',
  'TimeoutError',
  'OperationAborted',
]);
interface SdkErrorShape {
  name?: string;
  Code?: string;
  code?: string;
  message?: string;
  $fault?: 'client' | 'server';
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: number };
}

/** What the request was about, for the message: `upload "a/b.png"`. */
export interface ErrorContext {
  operation: string;
  key?: string;
  bucket?: string;
}

/**
 * Maps an SDK or network failure onto the contract's codes, keeping the original as `cause`. Every S3 "not found"
 * variant is `NOT_FOUND`; refused credentials and signatures are `ACCESS_DENIED`; network failures, 5xx and
 * throttling are a retryable `UNAVAILABLE`.
 */
export function toS3ProviderError(error: unknown, context: ErrorContext): ProviderError {
  if (isProviderError(error)) return error;
  const where = `${context.operation}${context.key === undefined ? '' : ` ${JSON.stringify(context.key)}`}`;
  const options = (code: ProviderErrorCode, details?: Record<string, unknown>) => ({
    provider: PROVIDER_NAME,
    cause: error,
    details: { ...details, ...(context.key === undefined ? {} : { key: context.key }) },
    ...(code === 'UNAVAILABLE' ? { retryable: true } : {}),
  });
  if (isAbortError(error)) return new ProviderError('ABORTED', `${where} was aborted`, options('ABORTED'));

  const e = (typeof error === 'object' && error !== null ? error : {}) as SdkErrorShape;
  const name = e.Code ?? e.name ?? '';
  const status = e.$metadata?.httpStatusCode;
  const sdkMessage =
    typeof e.message === 'string' && e.message !== '' && e.message !== 'UnknownError' ? `: ${e.message}` : '';
  const details = { s3Code: name || undefined, status };

  if (NOT_FOUND.has(name) || status === 404) {
    const what =
      name === 'NoSuchBucket' ? `the bucket ${JSON.stringify(context.bucket ?? '')} does not exist` : 'not found';
    return new ProviderError('NOT_FOUND', `${where}: ${what}`, options('NOT_FOUND', details));
  }
  if (name === 'AccessControlListNotSupported') {
    return new ProviderError(
      'ACCESS_DENIED',
      `${where}: the bucket does not accept ACLs (Object Ownership "bucket owner enforced"); set sendAcl: false and make objects public with a bucket policy`,
      options('ACCESS_DENIED', details),
    );
  }
  if (DENIED.has(name) || status === 403 || status === 401) {
    return new ProviderError(
      'ACCESS_DENIED',
      `${where}: access denied${sdkMessage}`,
      options('ACCESS_DENIED', details),
    );
  }
  if (name === 'EntityTooLarge' || name === 'MaxMessageLengthExceeded') {
    return new ProviderError(
      'TOO_LARGE',
      `${where}: the storage refused the body as too large${sdkMessage}`,
      options('TOO_LARGE', details),
    );
  }
  if (name === 'InvalidRange' || status === 416) {
    return new ProviderError(
      'INVALID_INPUT',
      `${where}: the range does not fit the object`,
      options('INVALID_INPUT', details),
    );
  }
  if (
    name === 'BadDigest' ||
    name === 'InvalidDigest' ||
    name === 'XAmzContentSHA256Mismatch' ||
    name === 'IncompleteBody'
  ) {
    return new ProviderError(
      'INTEGRITY',
      `${where}: the storage saw different bytes than were sent${sdkMessage}`,
      options('INTEGRITY', details),
    );
  }
  if (
    UNAVAILABLE.has(name) ||
    isNetworkError(error) ||
    NETWORK_ERROR_CODES.has(name) ||
    (status !== undefined && (status >= 500 || status === 429)) ||
    e.$retryable !== undefined ||
    (status === undefined && e.$fault === undefined && /socket|network|fetch failed/i.test(e.message ?? ''))
  ) {
    return new ProviderError(
      'UNAVAILABLE',
      `${where}: the storage is unavailable${sdkMessage}`,
      options('UNAVAILABLE', details),
    );
  }
  return new ProviderError(
    'INTERNAL',
    `${where} failed${sdkMessage || `: ${String(error)}`}`,
    options('INTERNAL', details),
  );
}

/** True when the SDK says the object (not the bucket) is missing. */
export function isMissingObject(error: unknown): boolean {
  const e = (typeof error === 'object' && error !== null ? error : {}) as SdkErrorShape;
  const name = e.Code ?? e.name ?? '';
  return (
    name === 'NoSuchKey' || name === 'NotFound' || (name !== 'NoSuchBucket' && e.$metadata?.httpStatusCode === 404)
  );
}
