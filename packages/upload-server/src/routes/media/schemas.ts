import type { FastifySchema } from 'fastify';
import { errorResponses } from '../../openapi/index.js';

// The media library page's routes, for the OpenAPI document.

const tags = ['media library'];
const html = { description: 'The page', content: { 'text/html': { schema: { type: 'string' } } } };

export const ROOT_SCHEMA: FastifySchema = {
  summary: 'Redirects to the media library page',
  tags,
  security: [],
  response: { 302: { description: 'To /media/', type: 'null' }, ...errorResponses() },
};

export const PAGE_SCHEMA: FastifySchema = {
  summary: 'The media library page (when `mediaLibrary` is on)',
  tags,
  security: [],
  response: { 200: html, ...errorResponses() },
};

export const ASSET_SCHEMA: FastifySchema = {
  summary: "The page's built assets (names carry a content hash)",
  tags,
  security: [],
  params: { type: 'object', required: ['file'], properties: { file: { type: 'string' } } },
  response: {
    200: { description: 'The asset', content: { '*/*': { schema: { type: 'string', format: 'binary' } } } },
    ...errorResponses(404),
  },
};
