import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from '../../errors.js';
import { TUS_PATH } from '../../resumable/index.js';
import { CREATE_SCHEMA, UPLOAD_SCHEMA } from './schemas.js';

const CHUNK_TYPE = 'application/offset+octet-stream';

/**
 * `/api/upload/tus`: resumable uploads (tus 1.0.0 with creation, creation-with-upload, creation-defer-length,
 * termination and expiration). Access is checked like any route first (a read-only token may only HEAD); then the
 * raw request goes to @tus/server unread, so chunks stream straight into the session.
 */
export const tusRoutes: FastifyPluginAsync = async (app) => {
  const resumable = app.uploads.resumable;
  // tus bodies are read by @tus/server itself, from the raw request.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null));

  const handle = async (request: FastifyRequest, reply: FastifyReply) => {
    const type = request.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
    if (request.method === 'PATCH' && type !== CHUNK_TYPE) {
      throw new HttpError(415, `A tus PATCH carries its bytes as Content-Type: ${CHUNK_TYPE}`, {
        contentType: type ?? null,
      });
    }
    reply.hijack();
    reply.raw.setHeader('x-content-type-options', 'nosniff');
    await resumable.server.handle(request.raw, reply.raw);
  };
  for (const [url, schema] of [
    [TUS_PATH, CREATE_SCHEMA],
    [`${TUS_PATH}/:uploadId`, UPLOAD_SCHEMA],
  ] as const) {
    app.route({ method: ['POST', 'HEAD', 'PATCH', 'DELETE', 'OPTIONS'], url, schema, handler: handle });
  }
};
