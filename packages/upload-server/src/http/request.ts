import type { IncomingMessage } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
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
 * Reads and discards what is left of a request body, so a client still sending (a refused upload) sees the answer
 * instead of a reset. Resolves true when the body ended within `limit` bytes (the connection can stay open); false
 * past the limit, or when the client sends nothing for {@link DRAIN_IDLE_MS}.
 */
export function drainRequest(req: IncomingMessage, limit = DRAIN_LIMIT_BYTES): Promise<boolean> {
  if (req.readableEnded || req.destroyed) return Promise.resolve(!req.destroyed);
  return new Promise((resolve) => {
    let drained = 0;
    const idle = setTimeout(() => {
      req.pause();
      finish(false);
    }, DRAIN_IDLE_MS);
    const finish = (complete: boolean) => {
      clearTimeout(idle);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('close', onClose);
      resolve(complete);
    };
    const onData = (chunk: Buffer) => {
      idle.refresh();
      drained += chunk.length;
      if (drained > limit) {
        req.pause();
        finish(false);
      }
    };
    const onEnd = () => finish(true);
    const onClose = () => finish(req.readableEnded);
    // Whatever was reading the body (the multipart parser) gave up on it: the rest comes here.
    req.unpipe();
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('close', onClose);
    req.on('error', () => undefined);
    req.resume();
  });
}
