import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { envelope } from '../errors.js';

// What Node's HTTP parser refuses before fastify sees a request, by its error code.
const ANSWERS: Record<string, [number, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'The request headers are too large: send fewer or shorter headers'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'The request did not arrive in time'],
};
const MALFORMED: [number, string] = [400, 'The request is not well-formed HTTP/1.1 and could not be read'];

/**
 * fastify's `clientErrorHandler`: a request the HTTP parser refused (oversized headers, malformed lines, conflicting
 * lengths) gets the error envelope with `nosniff`, like every other answer, then the connection is closed.
 */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, message] = ANSWERS[error.code ?? ''] ?? MALFORMED;
  if (socket.writable) {
    const body = JSON.stringify(envelope(status, message));
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
        'Content-Type: application/json; charset=utf-8\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        'X-Content-Type-Options: nosniff\r\n' +
        'Connection: close\r\n\r\n' +
        body,
    );
  }
  socket.destroy(error);
}
