import type { FastifyInstance } from 'fastify';

export interface CorsOptions {
  /** Origins whose pages may call the API: exact origins (`https://app.example.com`) or `'*'`. Empty: none. */
  origins: '*' | string[];
}

const ALLOWED_HEADERS = 'Authorization, Content-Type';
const EXPOSED_HEADERS = 'Content-Length, Content-Disposition, ETag';

/**
 * CORS for `/api/*`: answers preflights (before the access check, which preflights cannot pass) and marks answers to
 * allowed origins. Credentials travel in the Authorization header, never cookies, so no `Allow-Credentials`.
 */
export function registerCors(app: FastifyInstance, options: CorsOptions): void {
  const allowed = (origin: string | undefined): string | null => {
    if (!origin) return null;
    if (options.origins === '*') return '*';
    return options.origins.includes(origin) ? origin : null;
  };
  if (options.origins !== '*' && options.origins.length === 0) return;
  app.addHook('onRequest', async (request, reply) => {
    // tus answers its own CORS (its methods and headers), from the same origins.
    if (!request.url.startsWith('/api/') || request.url.startsWith('/api/upload/tus')) return;
    const origin = allowed(request.headers.origin);
    if (!origin) return;
    reply.header('access-control-allow-origin', origin);
    if (origin !== '*') reply.header('vary', 'Origin');
    reply.header('access-control-expose-headers', EXPOSED_HEADERS);
    if (request.method === 'OPTIONS' && request.headers['access-control-request-method']) {
      return reply
        .code(204)
        .header('access-control-allow-methods', 'GET, HEAD, POST, PUT, DELETE')
        .header('access-control-allow-headers', ALLOWED_HEADERS)
        .header('access-control-max-age', '600')
        .send();
    }
    return undefined;
  });
}
