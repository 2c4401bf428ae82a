import {
  isAbortError,
  isProviderError,
  networkErrorCode,
  ProviderError,
  type ProviderErrorCode,
} from 'upload-provider';

export const PROVIDER_NAME = 'gcs';

/** The SDK's own codes for an upload or download whose checksum disagreed with the server's. */
const INTEGRITY_CODES = new Set(['FILE_NO_UPLOAD', 'FILE_NO_UPLOAD_DELETE', 'CONTENT_DOWNLOAD_MISMATCH']);

interface SdkErrorShape {
  name?: unknown;
  code?: unknown;
  status?: unknown;
  message?: unknown;
  response?: { status?: unknown; data?: unknown };
  errors?: { reason?: unknown; message?: unknown }[];
}

/** What the request was about, for the message: `upload "a/b.png"`. */
export interface ErrorContext {
  operation: string;
  key?: string | undefined;
  bucket?: string | undefined;
}

/** The HTTP status of an SDK error: `ApiError.code`, a Gaxios error's `status`, or a resumable upload's `code`. */
export function httpStatus(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as SdkErrorShape;
  for (const v of [e.code, e.status, e.response?.status]) {
    if (typeof v === 'number' && v >= 100 && v < 600) return v;
  }
  return undefined;
}

/**
 * The message Cloud Storage itself sent: `ApiError` keeps it as its message, while a Gaxios error (resumable uploads)
 * says only "Request failed with status code 403" and keeps the JSON error body in `response.data`.
 */
function serverMessage(e: SdkErrorShape): string | undefined {
  let data = e.response?.data;
  if (typeof data === 'string') {
    const text = data;
    try {
      data = JSON.parse(text);
    } catch {
      return text.trim() === '' ? undefined : text.slice(0, 300);
    }
  }
  const message = (data as { error?: { message?: unknown } } | undefined)?.error?.message;
  return typeof message === 'string' ? message : undefined;
}

/** True when Cloud Storage says the bucket itself does not exist (a configuration error, not a missing object). */
export function isMissingBucket(error: unknown): boolean {
  if (httpStatus(error) !== 404 || typeof error !== 'object' || error === null) return false;
  const e = error as SdkErrorShape;
  const message = serverMessage(e) ?? (typeof e.message === 'string' ? e.message : '');
  return /bucket does not exist/i.test(message);
}

/** True when Cloud Storage says the object is not there (and its bucket is). */
export function isMissingObject(error: unknown): boolean {
  return httpStatus(error) === 404 && !isMissingBucket(error);
}

/**
 * Maps an SDK or network failure onto the contract's codes, keeping the original as `cause`: 404 is `NOT_FOUND`;
 * 401/403 and credentials that cannot be loaded or cannot sign are `ACCESS_DENIED`; network failures, 408, 429 and
 * 5xx are a retryable `UNAVAILABLE`; a checksum mismatch is `INTEGRITY`.
 */
export function toGcsProviderError(error: unknown, context: ErrorContext): ProviderError {
  if (isProviderError(error)) return error;
  const where = `${context.operation}${context.key === undefined ? '' : ` ${JSON.stringify(context.key)}`}`;
  const e = (typeof error === 'object' && error !== null ? error : {}) as SdkErrorShape;
  const status = httpStatus(error);
  const sdkCode = typeof e.code === 'string' ? e.code : undefined;
  const reason = typeof e.errors?.[0]?.reason === 'string' ? e.errors[0].reason : undefined;
  const message = serverMessage(e) ?? (typeof e.message === 'string' ? e.message : String(error));
  const sdkMessage = message ? `: ${message.split('\n')[0]}` : '';
  const options = (code: ProviderErrorCode) => ({
    provider: PROVIDER_NAME,
    cause: error,
    details: {
      status,
      ...(sdkCode ? { gcsCode: sdkCode } : {}),
      ...(reason ? { reason } : {}),
      ...(context.key === undefined ? {} : { key: context.key }),
    },
    ...(code === 'UNAVAILABLE' ? { retryable: true } : {}),
  });
  const make = (code: ProviderErrorCode, text: string) => new ProviderError(code, `${where}: ${text}`, options(code));

  if (isAbortError(error)) return make('ABORTED', 'the operation was aborted');
  if (status === 404) {
    return make(
      'NOT_FOUND',
      isMissingBucket(error) ? `the bucket ${JSON.stringify(context.bucket ?? '')} does not exist` : 'not found',
    );
  }
  if (status === 400 && /uniform bucket-level access/i.test(message)) {
    return make(
      'ACCESS_DENIED',
      'the bucket has uniform bucket-level access, which refuses per-object ACLs: use visibility "public-bucket" and grant allUsers the Storage Object Viewer role on the bucket',
    );
  }
  if (status === 401 || status === 403) return make('ACCESS_DENIED', `access denied${sdkMessage}`);
  if (e.name === 'SigningError' || /client_email|private_key|signBlob|Cannot sign/i.test(message)) {
    return make(
      'ACCESS_DENIED',
      `these credentials cannot sign${sdkMessage} (use a service account key, or grant iam.serviceAccounts.signBlob to the service account)`,
    );
  }
  if (/default credentials|Could not load the default|invalid_grant|unauthorized_client/i.test(message)) {
    return make(
      'ACCESS_DENIED',
      `no usable credentials${sdkMessage} (pass keyFilename or credentials, or set up application default credentials)`,
    );
  }
  if (sdkCode && INTEGRITY_CODES.has(sdkCode)) {
    return make('INTEGRITY', 'the storage received different bytes than were sent (checksum mismatch)');
  }
  if (status === 416) return make('INVALID_INPUT', 'the range does not fit the object');
  if (status === 413) return make('TOO_LARGE', `the storage refused the body as too large${sdkMessage}`);
  const network = networkErrorCode(error);
  if (
    network !== undefined ||
    status === 408 ||
    status === 429 ||
    (status !== undefined && status >= 500) ||
    (status === undefined && /socket hang up|network|fetch failed|timed? ?out/i.test(message))
  ) {
    return make('UNAVAILABLE', `the storage is unavailable${sdkMessage}`);
  }
  if (status === 400 || status === 412) return make('INVALID_INPUT', `the storage refused the request${sdkMessage}`);
  return make('INTERNAL', `failed${sdkMessage}`);
}
