import type { FastifySchema } from 'fastify';
import { errorResponses } from '../../openapi/index.js';

// The tus routes, for the OpenAPI document: the protocol is tus 1.0.0 (headers, not JSON bodies), served by
// @tus/server; see https://tus.io/protocols/resumable-upload.

const tags = ['resumable uploads (tus)'];
const TUS_HEADERS = {
  type: 'object',
  properties: {
    'tus-resumable': { const: '1.0.0' },
    'upload-length': { type: 'string', description: 'POST: the total size in bytes' },
    'upload-defer-length': { const: '1' },
    'upload-offset': { type: 'string', description: 'PATCH: where this chunk starts' },
    'upload-metadata': { type: 'string', description: '`filename <base64>,filetype <base64>,…`' },
  },
} as const;
const empty = (description: string) => ({ description, type: 'null' });

export const CREATE_SCHEMA: FastifySchema = {
  summary: 'tus: create an upload (POST, optionally with its first bytes); OPTIONS answers the capabilities',
  tags,
  headers: TUS_HEADERS,
  response: {
    201: empty('Created: `Location` is the upload’s URL'),
    204: empty('OPTIONS: Tus-Version, Tus-Extension, Tus-Max-Size'),
    ...errorResponses(400, 401, 403, 413, 415),
  },
};

export const UPLOAD_SCHEMA: FastifySchema = {
  summary: 'tus: HEAD the offset, PATCH the next chunk (the last one records the file), DELETE to give up',
  tags,
  headers: TUS_HEADERS,
  params: { type: 'object', required: ['uploadId'], properties: { uploadId: { type: 'string' } } },
  response: {
    200: empty('HEAD: Upload-Offset and Upload-Length'),
    204: empty('PATCH: the new Upload-Offset; DELETE: gone'),
    ...errorResponses(400, 401, 403, 404, 409, 410, 413, 415),
  },
};
