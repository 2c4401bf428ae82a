import type { FastifyPluginAsync } from 'fastify';

/** Files addressed by secret (`/api/files`): placeholder plugin until SERVER-DIRECT writes it. */
export const filesRoutes: FastifyPluginAsync = async () => {};
