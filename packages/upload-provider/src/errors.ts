/**
 * The stable error codes of the contract. Every provider maps its SDK's failures onto these; the conformance suite
 * asserts them, and the server maps them onto HTTP statuses.
 */
export const ERROR_CODES = [
  /** The object (or bucket) does not exist. Every SDK "not found" variant maps here. */
  'NOT_FOUND',
  /** Credentials are missing, wrong, or lack the permission; a signature is invalid. */
  'ACCESS_DENIED',
  /** The provider's options are invalid. Raised by the factory, before any I/O. */
  'INVALID_OPTIONS',
  /** A call's argument is invalid (a hostile key, a bad range, a negative size). */
  'INVALID_INPUT',
  /** The body is larger than a limit (the provider's or the backend's). */
  'TOO_LARGE',
  /** The provider does not implement this optional capability. */
  'UNSUPPORTED',
  /** A network failure, a 5xx, or throttling. Retryable. */
  'UNAVAILABLE',
  /** The operation was aborted through its `AbortSignal`. */
  'ABORTED',
  /** `loadProvider` could not find or import the provider's package. */
  'PROVIDER_NOT_FOUND',
  /** The body's bytes or length disagree with what was declared. */
  'INTEGRITY',
  /** Anything else: a bug or an answer from the backend that the provider does not understand. */
  'INTERNAL',
] as const;

export type ProviderErrorCode = (typeof ERROR_CODES)[number];

export interface ProviderErrorOptions {
  /** The provider's `name` (`'aws-s3'`), so a message in a log says where it came from. */
  provider?: string;
  /** The SDK's or system's own error. */
  cause?: unknown;
  /** Whether the same call may succeed if retried. Defaults to true for `UNAVAILABLE`, false otherwise. */
  retryable?: boolean;
  /** Structured details, e.g. one entry per invalid option. Never holds secrets. */
  details?: Record<string, unknown>;
}

/** The one error class of the contract. Check with {@link isProviderError}, not `instanceof` across packages. */
export class ProviderError extends Error {
  override readonly name = 'ProviderError';
  readonly code: ProviderErrorCode;
  readonly provider: string | undefined;
  readonly retryable: boolean;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ProviderErrorCode, message: string, options: ProviderErrorOptions = {}) {
    super(options.provider ? `[${options.provider}] ${message}` : message, { cause: options.cause });
    this.code = code;
    this.provider = options.provider;
    this.retryable = options.retryable ?? code === 'UNAVAILABLE';
    this.details = options.details;
  }
}

const BRAND = Symbol.for('upload-provider.ProviderError');
Object.defineProperty(ProviderError.prototype, BRAND, { value: true });

/**
 * True when `error` is a {@link ProviderError} (from any copy of this package), optionally with one of `codes`.
 * Works across duplicated installs, where `instanceof` would not.
 */
export function isProviderError(error: unknown, ...codes: ProviderErrorCode[]): error is ProviderError {
  if (typeof error !== 'object' || error === null) return false;
  const branded = (error as Record<symbol, unknown>)[BRAND] === true;
  if (!branded) return false;
  return codes.length === 0 || codes.includes((error as ProviderError).code);
}

/** Wraps an unknown failure as a `ProviderError`, keeping it as `cause`; a `ProviderError` passes through. */
export function toProviderError(
  error: unknown,
  fallback: ProviderErrorCode,
  message: string,
  options: Omit<ProviderErrorOptions, 'cause'> = {},
): ProviderError {
  if (isProviderError(error)) return error;
  if (isAbortError(error))
    return new ProviderError('ABORTED', 'the operation was aborted', { ...options, cause: error });
  return new ProviderError(fallback, message, { ...options, cause: error });
}

/** True for the errors Node and the SDKs raise when an `AbortSignal` fires. */
export function isAbortError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { name?: unknown; code?: unknown };
  return e.name === 'AbortError' || e.code === 'ABORT_ERR';
}
