import type { FastifyInstance } from 'fastify';
import { registerFileRoutes } from './files.js';
import { registerUploadRoute } from './upload.js';

/** Strapi v5's upload content API: `/api/upload` and `/api/upload/files`. */
export async function strapiRoutes(app: FastifyInstance): Promise<void> {
  registerUploadRoute(app);
  registerFileRoutes(app);
}
