import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HttpError } from '../errors.js';
import { errorResponses } from '../openapi/schemas.js';
import type { ServerMetrics } from './registry.js';

export { measureProvider } from './provider.js';
export { createMetrics, type ServerMetrics } from './registry.js';

// Routes that serve a file's bytes (the local provider's too), and those that receive one.
const SERVING = new Set(['/api/files/:secret', '/uploads/*']);
const UPLOADING = new Set(['/api/files', '/api/files/from-url', '/api/upload/direct/:uploadId/complete']);

function isUpload(request: FastifyRequest, route: string): boolean {
  if (request.method !== 'POST' && request.method !== 'PATCH') return false;
  if (UPLOADING.has(route) || route.startsWith('/api/upload/tus')) return true;
  // POST /api/upload with JSON only updates a file's information.
  return route === '/api/upload' && /^multipart\//i.test(request.headers['content-type'] ?? '');
}

/**
 * Counts every request (by route pattern, never the raw URL: secrets stay out, and the label set stays small), the
 * bytes served and the uploads in flight, and answers `GET /metrics` in Prometheus' text format. Once tokens exist,
 * `/metrics` needs one (read-only is enough), even when `publicRead` lets GETs through without.
 */
export function registerMetrics(app: FastifyInstance, metrics: ServerMetrics): void {
  app.addHook('onRequest', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const end = metrics.requests.startTimer({ method: request.method, route });
    const uploading = isUpload(request, route);
    if (uploading) metrics.uploadsInFlight.inc();
    // 'close' fires for every answer, hijacked ones (the local provider's files) and cut-off ones included.
    reply.raw.once('close', () => {
      const status = reply.raw.statusCode;
      end({ status: String(status) });
      if (uploading) metrics.uploadsInFlight.dec();
      if (SERVING.has(route) && (status === 200 || status === 206) && request.method === 'GET') {
        const length = Number(reply.raw.getHeader('content-length'));
        if (Number.isFinite(length) && length > 0) metrics.servedBytes.inc(length);
      }
    });
  });

  app.get(
    '/metrics',
    {
      config: { access: 'read' },
      schema: {
        summary: 'Prometheus metrics (text exposition format)',
        tags: ['operations'],
        security: [{ bearer: [] }],
        response: {
          200: { description: 'Metrics', content: { 'text/plain': { schema: { type: 'string' } } } },
          ...errorResponses(401),
        },
      },
    },
    async (request, reply) => {
      if (request.auth.access === 'none') {
        throw new HttpError(401, 'Missing or invalid credentials: /metrics needs a token (read-only is enough)');
      }
      reply.header('content-type', metrics.registry.contentType);
      return metrics.registry.metrics();
    },
  );
}
