import type { FastifySchema } from 'fastify';
import { errorResponses } from '../../openapi/index.js';

// What the direct-upload routes take and answer, for the OpenAPI document (the handlers check their own input).

const tags = ['direct uploads'];

export const REQUEST_SCHEMA: FastifySchema = {
  summary: 'Credentials for one form POST straight to the storage',
  tags,
  body: {
    type: 'object',
    required: ['name', 'mime', 'size'],
    properties: {
      name: { type: 'string', maxLength: 255 },
      mime: { type: 'string', description: 'The exact type, e.g. `image/png`' },
      size: { type: 'integer', minimum: 0, description: 'Bytes; the storage refuses more' },
      fileInfo: { type: 'object', additionalProperties: true },
      ref: { type: 'string' },
      refId: { type: ['string', 'integer'] },
      field: { type: 'string' },
      path: { type: 'string', maxLength: 512 },
    },
  },
  response: {
    201: {
      type: 'object',
      properties: {
        uploadId: { type: 'string', pattern: '^du_[0-9a-f]{32}$' },
        url: { type: 'string', description: 'Where to send the form' },
        method: { type: 'string', examples: ['POST'] },
        fields: { type: 'object', additionalProperties: { type: 'string' }, description: 'Form fields, in order' },
        fileField: { type: 'string', description: 'The name of the file part, sent last' },
        key: { type: 'string' },
        expiresAt: { type: 'string', format: 'date-time' },
      },
    },
    ...errorResponses(400, 401, 403, 413, 415, 501),
  },
};

export const COMPLETE_SCHEMA: FastifySchema = {
  summary: 'Confirm a direct upload: the object is checked and the file recorded',
  tags,
  params: {
    type: 'object',
    required: ['uploadId'],
    properties: { uploadId: { type: 'string', pattern: '^du_[0-9a-f]{32}$' } },
  },
  response: {
    201: { type: 'array', items: { $ref: 'FileEntity#' } },
    ...errorResponses(401, 403, 404, 409, 410, 413, 415, 422),
  },
};
