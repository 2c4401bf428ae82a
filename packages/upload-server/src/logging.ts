import { type FastifyReply, type FastifyRequest, LogController } from 'fastify';

const SECRET_PARAMS = /secret|token|signature|sig|policy|credential|key|auth|password|expires/i;

/**
 * A URL fit for a log line: the secret of `/api/files/<secret>` and secret-looking query values (signatures,
 * tokens, policies) are replaced by `[redacted]`.
 */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const safePath = path.replace(/^\/api\/files\/(?!from-url$|sign-urls$)[^/]+/, '/api/files/[redacted]');
  if (q < 0) return safePath;
  const params = url
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = eq < 0 ? pair : pair.slice(0, eq);
      let decoded = name;
      try {
        decoded = decodeURIComponent(name);
      } catch {
        // keep the raw name
      }
      return eq >= 0 && SECRET_PARAMS.test(decoded) ? `${name}=[redacted]` : pair;
    });
  return `${safePath}?${params.join('&')}`;
}

/** Fastify's request serializer without headers, with a redacted URL. */
export function serializeRequest(request: FastifyRequest) {
  return {
    method: request.method,
    url: redactUrl(request.url),
    host: request.host,
    remoteAddress: request.ip,
  };
}

/**
 * One log line per request, written when it is answered: the request (serialised as above), its status and how long
 * it took. Fastify's own second line, when the request arrives, is not written.
 */
export class RequestLog extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(request)) return;
    if (error) {
      reply.log.error({ req: request, res: reply, err: error, responseTime: reply.elapsedTime }, 'request errored');
    } else {
      reply.log.info({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed');
    }
  }
}
