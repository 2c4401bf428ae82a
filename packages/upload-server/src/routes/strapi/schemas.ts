import type { FastifySchema } from 'fastify';
import { errorResponses, FILE_ID_PARAMS } from '../../openapi/index.js';

// What the Strapi routes take and answer, for the OpenAPI document (the handlers check their own input).

const tags = ['strapi upload'];
const entity = { $ref: 'FileEntity#' };
const entities = { type: 'array', items: entity };

const LIST_QUERY = {
  type: 'object',
  description: "Strapi's query parameters, in qs syntax (`filters[mime][$contains]=image`)",
  properties: {
    filters: { type: 'object', additionalProperties: true, description: 'Strapi filters: $eq, $contains, $in, $and…' },
    sort: { type: ['string', 'array'], description: '`field:asc|desc`, one or many' },
    fields: { type: ['string', 'array'], description: 'Only these attributes' },
    populate: { type: ['string', 'object'], description: '`related` (or `*`) adds the entries a file is linked to' },
    pagination: {
      type: 'object',
      properties: {
        page: { type: 'string' },
        pageSize: { type: 'string' },
        start: { type: 'string' },
        limit: { type: 'string' },
      },
    },
  },
  additionalProperties: true,
} as const;

const UPLOAD_FORM = {
  content: {
    'multipart/form-data': {
      schema: {
        type: 'object',
        properties: {
          files: { type: 'array', items: { type: 'string', format: 'binary' }, description: 'One or more files' },
          fileInfo: { type: 'string', description: 'JSON `{ name?, alternativeText?, caption? }`, one per file' },
          ref: { type: 'string', description: 'Content type to link to, e.g. `api::article.article`' },
          refId: { type: 'string' },
          field: { type: 'string' },
          path: { type: 'string', description: 'Folder for the storage key' },
        },
      },
    },
    'application/json': {
      schema: {
        type: 'object',
        properties: { fileInfo: { type: 'object', additionalProperties: true } },
        description: 'With `?id=`: update a file’s name, alternativeText or caption only',
      },
    },
  },
};

export const UPLOAD_SCHEMA: FastifySchema = {
  summary: 'Upload files, replace one (`?id=`), or update its information',
  tags,
  consumes: ['multipart/form-data', 'application/json'],
  querystring: {
    type: 'object',
    properties: { id: { type: 'string', description: 'Replace (or update the information of) this file' } },
  },
  body: UPLOAD_FORM.content['multipart/form-data'].schema,
  response: {
    200: { description: 'The replaced or updated file', ...entity },
    201: { description: 'The uploaded files', ...entities },
    ...errorResponses(400, 401, 403, 404, 413, 415, 422, 499, 502),
  },
};

export const LIST_SCHEMA: FastifySchema = {
  summary: 'List files (Strapi query syntax)',
  tags,
  querystring: LIST_QUERY,
  response: { 200: entities, ...errorResponses(400, 401) },
};

export const PAGE_SCHEMA: FastifySchema = {
  summary: 'List files with pagination metadata',
  tags,
  querystring: LIST_QUERY,
  response: {
    200: {
      type: 'object',
      properties: {
        data: entities,
        meta: {
          type: 'object',
          properties: {
            pagination: {
              type: 'object',
              properties: {
                page: { type: 'integer' },
                pageSize: { type: 'integer' },
                pageCount: { type: 'integer' },
                total: { type: 'integer' },
              },
              additionalProperties: true,
            },
          },
        },
      },
    },
    ...errorResponses(400, 401),
  },
};

export const FILE_SCHEMA: FastifySchema = {
  summary: 'One file',
  tags,
  params: FILE_ID_PARAMS,
  querystring: { type: 'object', properties: { populate: LIST_QUERY.properties.populate } },
  response: { 200: entity, ...errorResponses(401, 404) },
};

export const DELETE_SCHEMA: FastifySchema = {
  summary: 'Delete a file and its objects',
  tags,
  params: FILE_ID_PARAMS,
  response: { 200: { description: 'The deleted file', ...entity }, ...errorResponses(401, 403, 404) },
};
