import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import { SHARED_SCHEMAS } from './schemas.js';

/** The version of the API this document describes (not the package's): it changes when a route or shape does. */
export const API_VERSION = '1.0.0';

export { errorResponses, FILE_ID_PARAMS, LOCAL_FILES_SCHEMA } from './schemas.js';

/**
 * The OpenAPI 3.1 document at `/openapi.json`, made by @fastify/swagger from the schemas each route declares.
 * Register before the routes. The schemas document and do not enforce: the routes check their own input and answer
 * in Strapi's words (which clients and tests rely on), and answers are serialised as they are (a response schema
 * never drops a field). So both compilers are replaced by ones that let everything through unchanged.
 */
export async function registerOpenApi(app: FastifyInstance, info: { publicUrl: string }) {
  app.setValidatorCompiler(() => () => true);
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  for (const schema of SHARED_SCHEMAS) app.addSchema(schema);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'upload-server',
        version: API_VERSION,
        description:
          "Strapi v5's upload REST API, files by secret and direct uploads over any upload-provider storage.",
      },
      servers: [{ url: info.publicUrl }],
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'An API token' } },
      },
      security: [{ bearer: [] }],
    },
    exposeHeadRoutes: true,
    // Shared schemas keep their names in components.schemas (ErrorEnvelope, FileEntity…).
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
  });
  app.get(
    '/openapi.json',
    {
      config: { access: 'public' },
      schema: {
        summary: 'This document',
        tags: ['operations'],
        security: [],
        response: { 200: { description: 'OpenAPI 3.1', type: 'object', additionalProperties: true } },
      },
    },
    async () => app.swagger(),
  );
}
