import type { IncomingMessage, ServerResponse } from 'node:http';
import { drainRequest, isProviderError, type ProviderError } from 'upload-provider';
import type { LocalInternals } from './internals.js';

/** A refusal the handler answers on purpose: its status, code and message reach the client as they are. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The names upload-server (after Strapi) puts in `error.name`, for the statuses this handler answers. */
const NAMES: Record<number, string> = {
  400: 'ValidationError',
  403: 'ForbiddenError',
  404: 'NotFoundError',
  405: 'MethodNotAllowedError',
  413: 'PayloadTooLargeError',
  415: 'UnsupportedMediaTypeError',
  500: 'ApplicationError',
  503: 'ServiceUnavailableError',
};

/** The handler's status for each contract code; the rest are the server's fault (500). */
const STATUS_OF: Record<string, number> = {
  INVALID_INPUT: 400,
  ACCESS_DENIED: 403,
  NOT_FOUND: 404,
  TOO_LARGE: 413,
  INTEGRITY: 400,
  UNAVAILABLE: 503,
  ABORTED: 400,
};

/** upload-server's error body, so a client reads one shape whichever part of the server answered. */
export function errorBody(status: number, code: string, message: string): string {
  return JSON.stringify({
    data: null,
    error: { status, name: NAMES[status] ?? 'ApplicationError', message, details: { code } },
  });
}

/** The message of a provider error without its `[provider]` tag: the client does not need it. */
export function stripProvider(error: ProviderError): string {
  return error.message.replace(/^\[[^\]]*\]\s*/, '');
}

function describe(error: unknown): { status: number; code: string; message: string } {
  if (error instanceof HttpError) return error;
  if (isProviderError(error)) {
    const status = STATUS_OF[error.code] ?? 500;
    const message = status === 500 ? 'the file could not be stored or read; see the server log' : stripProvider(error);
    return { status, code: error.code, message };
  }
  return { status: 500, code: 'INTERNAL', message: 'internal error; see the server log' };
}

export function sendJson(res: ServerResponse, status: number, body: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.setHeader('Cache-Control', 'no-store');
  res.end(body);
}

/** Answers `error` in the envelope; reads what is left of a refused body first, so the client sees the answer. */
export async function sendError(
  internals: LocalInternals,
  req: IncomingMessage,
  res: ServerResponse,
  error: unknown,
  drainLimit: number,
): Promise<void> {
  const { status, code, message } = describe(error);
  if (status >= 500) internals.debug('handler error', { message: (error as Error)?.message });
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = errorBody(status, code, message);
  if (!req.readableEnded && !req.destroyed) {
    // A browser still uploading when the socket closes reports a reset, not the answer: read and discard the rest
    // first, up to `drainLimit` bytes; beyond that, answer and hang up.
    if (!(await drainRequest(req, drainLimit))) res.setHeader('Connection', 'close');
  }
  sendJson(res, status, body);
}
