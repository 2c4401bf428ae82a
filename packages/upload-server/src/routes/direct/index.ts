import type { FastifyPluginAsync } from 'fastify';

/** Direct uploads (`/api/upload/direct`): placeholder plugin until SERVER-DIRECT writes it. */
export const directRoutes: FastifyPluginAsync = async () => {};
