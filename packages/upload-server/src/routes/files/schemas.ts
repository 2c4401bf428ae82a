import type { FastifySchema } from 'fastify';
import { errorResponses } from '../../openapi/index.js';

// What the files-by-secret routes take and answer, for the OpenAPI document (the handlers check their own input).

const tags = ['files by secret'];

const SECRET_FILE = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    secret: { type: 'string', description: 'Shown once: the download capability' },
    name: { type: 'string' },
    contentType: { type: 'string' },
    contentLength: { type: 'integer' },
  },
};

export const UPLOAD_SCHEMA: FastifySchema = {
  summary: 'Upload one file; answers its secret',
  tags,
  consumes: ['multipart/form-data'],
  body: { type: 'object', properties: { file: { type: 'string', format: 'binary' } } },
  response: { 201: SECRET_FILE, ...errorResponses(400, 401, 403, 413, 415, 499, 502) },
};

export const FROM_URL_SCHEMA: FastifySchema = {
  summary: 'Fetch a file from a URL (public addresses only, unless allowed); answers its secret',
  tags,
  body: {
    type: 'object',
    required: ['url'],
    properties: {
      url: { type: 'string', format: 'uri' },
      name: { type: 'string', maxLength: 255 },
      method: { enum: ['GET', 'POST'] },
      headers: { type: 'object', additionalProperties: { type: 'string' } },
    },
  },
  response: { 201: SECRET_FILE, ...errorResponses(400, 401, 403, 413, 415, 422, 502) },
};

export const DOWNLOAD_SCHEMA: FastifySchema = {
  summary: 'Download a file by its secret (Range, If-None-Match); a redirect to a signed URL when the storage serves',
  tags,
  params: {
    type: 'object',
    required: ['secret'],
    properties: { secret: { type: 'string', pattern: '^[A-Za-z0-9_-]{32}$' } },
  },
  response: {
    200: {
      description: 'The bytes',
      content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
    },
    206: {
      description: 'A range of the bytes',
      content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
    },
    302: { description: 'A short-lived signed URL of the storage', type: 'null' },
    304: { description: 'Not modified', type: 'null' },
    ...errorResponses(401, 404, 416),
  },
};

export const SIGN_URLS_SCHEMA: FastifySchema = {
  summary: 'Signed URLs for up to 100 secrets',
  tags,
  body: {
    type: 'object',
    required: ['secrets'],
    properties: { secrets: { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 100 } },
  },
  response: {
    200: {
      type: 'object',
      properties: {
        items: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              secret: { type: 'string' },
              url: { type: ['string', 'null'] },
              expiresAt: { type: ['string', 'null'], format: 'date-time' },
              error: { type: 'string' },
            },
          },
        },
      },
    },
    ...errorResponses(400, 401),
  },
};
