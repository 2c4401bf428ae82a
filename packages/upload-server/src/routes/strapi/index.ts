import type { FastifyInstance } from 'fastify';
import { registerFileRoutes } from './files.js';
import { registerUploadRoute } from './upload.js';

export { type FileEntity, type FormatEntity, toFileEntity } from './entity.js';

/** Strapi v5's upload content API: `/api/upload` and `/api/upload/files`. */
export async function strapiRoutes(app: FastifyInstance): Promise<void> {
  registerUploadRoute(app);
  registerFileRoutes(app);
}
