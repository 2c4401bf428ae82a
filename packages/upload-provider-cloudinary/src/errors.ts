import {
  isAbortError,
  isProviderError,
  NETWORK_ERROR_CODES,
  ProviderError,
  type ProviderErrorCode,
} from 'upload-provider';

/**
 * The SDK's failure reduced to what is safe to keep: Admin API errors carry the request options, including the API
 * key and secret in `auth`, so the raw object never becomes a `cause`.
 */
export class CloudinaryApiError extends Error {
  override readonly name = 'CloudinaryApiError';
  constructor(
    message: string,
    readonly httpCode: number | undefined,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

/** Unwraps the shapes the SDK rejects with (`{ message, http_code }`, `{ error: {...} }`, a Node `Error`). */
export function sdkFailure(error: unknown): CloudinaryApiError {
  if (error instanceof CloudinaryApiError) return error;
  let e = error as Record<string, unknown> | undefined;
  if (e && typeof e === 'object' && e.error && typeof e.error === 'object' && !('http_code' in e)) {
    e = e.error as Record<string, unknown>;
  }
  if (!e || typeof e !== 'object') return new CloudinaryApiError(String(error), undefined, undefined);
  const message = typeof e.message === 'string' ? e.message : String(e.message ?? 'unknown Cloudinary error');
  const httpCode = typeof e.http_code === 'number' ? e.http_code : undefined;
  const code = typeof e.code === 'string' ? e.code : undefined;
  return new CloudinaryApiError(message, httpCode, code);
}

/** The contract's code for a Cloudinary failure: 401/403 denied, 404 or "not found" missing, 420/429/5xx unavailable. */
export function codeFor(failure: CloudinaryApiError): ProviderErrorCode {
  const status = failure.httpCode;
  const message = failure.message.toLowerCase();
  if (status === 401 || status === 403) return 'ACCESS_DENIED';
  if (status === 404 || /not found/.test(message)) return 'NOT_FOUND';
  if (status === 420 || status === 429 || status === 499 || (status !== undefined && status >= 500))
    return 'UNAVAILABLE';
  if (/too large|file size|exceeds/.test(message)) return 'TOO_LARGE';
  if (/stale request|invalid signature|api key|api_key|credentials/.test(message)) return 'ACCESS_DENIED';
  if (status === undefined && failure.code !== undefined && NETWORK_ERROR_CODES.has(failure.code)) return 'UNAVAILABLE';
  if (status === undefined && /socket hang up|timeout|econn/.test(message)) return 'UNAVAILABLE';
  if (status === 400) return 'INVALID_INPUT';
  return 'INTERNAL';
}

/** A `ProviderError` for anything the SDK or the network threw, keeping a sanitised copy as `cause`. */
export function toCloudinaryError(error: unknown, provider: string, doing: string): ProviderError {
  if (isProviderError(error)) return error;
  if (isAbortError(error)) return new ProviderError('ABORTED', `${doing}: aborted`, { provider, cause: error });
  const failure = sdkFailure(error);
  const code = codeFor(failure);
  const status = failure.httpCode === undefined ? '' : ` (HTTP ${failure.httpCode})`;
  return new ProviderError(code, `${doing}: Cloudinary answered "${failure.message}"${status}`, {
    provider,
    cause: failure,
    details: failure.httpCode === undefined ? undefined : { status: failure.httpCode },
  });
}
