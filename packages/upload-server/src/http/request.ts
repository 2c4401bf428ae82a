import type { IncomingMessage } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { drainRequest as drainBody } from 'upload-provider';
import { HttpError } from '../errors.js';

/** The `id` query parameter of `POST /api/upload?id=`, or undefined. */
export function parseIdParam(value: unknown, name = 'id'): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string' || !/^[1-9]\d{0,15}$/.test(value)) {
    throw new HttpError(400, 'File id is required and must be a single value', {
      errors: [{ path: [name], message: `${name} must be a positive integer`, name: 'ValidationError' }],
    });
  }
  return Number(value);
}

/** Aborts when the client goes away before the response is sent. */
export function clientAbortSignal(request: FastifyRequest, reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  const onClose = () => {
    if (!reply.raw.writableFinished) controller.abort(new Error('the client closed the connection'));
  };
  reply.raw.once('close', onClose);
  request.raw.once('aborted', onClose);
  return controller.signal;
}

/** The origin this request reached the server at (honours `trustProxy`). */
function requestOrigin(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}`;
}

/** A provider URL made absolute: the local provider's are paths on this server. */
export function absoluteUrl(url: string, request: FastifyRequest): string {
  return /^[a-z][a-z0-9+.-]*:/i.test(url) ? url : new URL(url, `${requestOrigin(request)}/`).toString();
}

/** How much of a refused request's body is read and discarded before answering; past it, answer and hang up. */
export const DRAIN_LIMIT_BYTES = 8 * 1024 * 1024;

/** How long a drain waits for the next chunk: a client that stopped sending does not hold the answer back. */
export const DRAIN_IDLE_MS = 5_000;

/**
 * Reads and discards what is left of a refused request's body (up to `limit` bytes, giving up after
 * {@link DRAIN_IDLE_MS} without a chunk), so a client still sending sees the answer; true when the body ended.
 */
export function drainRequest(req: IncomingMessage, limit = DRAIN_LIMIT_BYTES): Promise<boolean> {
  return drainBody(req, limit, DRAIN_IDLE_MS);
}
