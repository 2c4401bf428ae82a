import { isProviderError, type ProviderErrorCode } from 'upload-provider';
import { isDatabaseUnavailable } from './store/unavailable.js';

/** Seconds a client is told to wait (`Retry-After`, and `details.retryAfter`) when the storage or database is away. */
export const RETRY_AFTER_SECONDS = 5;

/** The error names Strapi puts in `error.name`, by HTTP status. */
const NAMES: Record<number, string> = {
  400: 'ValidationError',
  401: 'UnauthorizedError',
  403: 'ForbiddenError',
  404: 'NotFoundError',
  405: 'MethodNotAllowedError',
  408: 'RequestTimeoutError',
  409: 'ConflictError',
  413: 'PayloadTooLargeError',
  415: 'UnsupportedMediaTypeError',
  422: 'UnprocessableEntityError',
  429: 'RateLimitError',
  431: 'RequestHeaderFieldsTooLargeError',
  499: 'ClientClosedRequestError',
  500: 'ApplicationError',
  501: 'NotImplementedError',
  502: 'BadGatewayError',
  503: 'ServiceUnavailableError',
};

/** An error a route throws on purpose: its status, Strapi name, message and details reach the client as they are. */
export class HttpError extends Error {
  readonly status: number;
  readonly details: Record<string, unknown>;
  override readonly name: string;

  constructor(status: number, message: string, details: Record<string, unknown> = {}, name?: string) {
    super(message);
    this.status = status;
    this.details = details;
    this.name = name ?? NAMES[status] ?? (status >= 500 ? 'ApplicationError' : 'ValidationError');
  }
}

/** Strapi's error body: `{ data: null, error: { status, name, message, details } }`. */
export interface ErrorEnvelope {
  data: null;
  error: { status: number; name: string; message: string; details: Record<string, unknown> };
}

export function envelope(status: number, message: string, details: Record<string, unknown> = {}, name?: string) {
  return {
    data: null,
    error: { status, name: name ?? NAMES[status] ?? 'ApplicationError', message, details },
  } satisfies ErrorEnvelope;
}

/** HTTP status for each contract error code, when a provider failure reaches a client. */
export const STATUS_BY_CODE: Record<ProviderErrorCode, number> = {
  NOT_FOUND: 404,
  ACCESS_DENIED: 502,
  INVALID_OPTIONS: 500,
  INVALID_INPUT: 400,
  TOO_LARGE: 413,
  UNSUPPORTED: 501,
  UNAVAILABLE: 503,
  ABORTED: 499,
  PROVIDER_NOT_FOUND: 500,
  INTEGRITY: 400,
  INTERNAL: 500,
};

interface FastifyLikeError {
  statusCode?: number;
  status?: number;
  code?: string;
  message?: string;
  validation?: unknown;
}

/**
 * Turns anything thrown while handling a request into Strapi's envelope. Client mistakes keep their 4xx and
 * message; anything unexpected becomes a 500 whose message reveals nothing internal.
 */
export function toEnvelope(error: unknown): ErrorEnvelope {
  if (error instanceof HttpError) return envelope(error.status, error.message, error.details, error.name);
  const status = (error as { status?: unknown })?.status;
  // SERVER-PARTS' QueryError / ImageError and policy failures carry their own 4xx status.
  if (typeof status === 'number' && status >= 400 && status < 500 && error instanceof Error) {
    const details = (error as { details?: Record<string, unknown> }).details ?? {};
    return envelope(status, error.message, details);
  }
  if (isProviderError(error)) {
    const code = error.code;
    const s = STATUS_BY_CODE[code];
    // Provider-side failures are the server's problem: say which kind, never echo backend details.
    if (s >= 500) {
      if (code === 'UNAVAILABLE') {
        return envelope(s, 'The storage is unavailable; try again later', { code, retryAfter: RETRY_AFTER_SECONDS });
      }
      return envelope(s, 'The storage failed to complete the request', { code });
    }
    return envelope(s, error.message, { code });
  }
  const fe = error as FastifyLikeError;
  const fStatus = fe?.statusCode ?? fe?.status;
  if (typeof fStatus === 'number' && fStatus >= 400 && fStatus < 500) {
    return envelope(fStatus, fastifyMessage(fe), fe.code ? { code: fe.code } : {});
  }
  if (isDatabaseUnavailable(error)) {
    return envelope(503, 'The database is unavailable; try again later', {
      code: 'DATABASE_UNAVAILABLE',
      retryAfter: RETRY_AFTER_SECONDS,
    });
  }
  return envelope(500, 'Internal Server Error');
}

function fastifyMessage(error: FastifyLikeError): string {
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'Unsupported Content-Type: send JSON (application/json) or multipart/form-data';
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'The JSON body is empty: send a JSON object or omit the Content-Type header';
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'The request body is too large';
    default:
      return error.message || 'Bad Request';
  }
}
