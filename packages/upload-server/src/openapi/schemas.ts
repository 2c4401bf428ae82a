// JSON schemas shared by the routes' own schemas (each route keeps its schema beside it). They describe; the routes
// check their input themselves, with Strapi's messages (see openapi/index.ts).

const nullable = (type: string) => ({ type: [type, 'null'] });

export const ERROR_ENVELOPE = {
  $id: 'ErrorEnvelope',
  type: 'object',
  description:
    "Strapi's error body. `details.retryAfter` (seconds) comes with a 503 when the storage or database is away.",
  required: ['data', 'error'],
  properties: {
    data: { type: 'null' },
    error: {
      type: 'object',
      required: ['status', 'name', 'message', 'details'],
      properties: {
        status: { type: 'integer' },
        name: { type: 'string', examples: ['ValidationError'] },
        message: { type: 'string' },
        details: { type: 'object', additionalProperties: true },
      },
    },
  },
} as const;

const FORMAT = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    hash: { type: 'string' },
    ext: nullable('string'),
    mime: { type: 'string' },
    width: nullable('integer'),
    height: nullable('integer'),
    size: { type: 'number', description: 'kilobytes (1000 bytes)' },
    sizeInBytes: { type: 'integer' },
    url: { type: 'string' },
    path: nullable('string'),
  },
  additionalProperties: true,
} as const;

export const FILE_ENTITY = {
  $id: 'FileEntity',
  type: 'object',
  description: "A file as Strapi v5's upload plugin returns it.",
  required: ['id', 'documentId', 'name', 'hash', 'mime', 'size', 'url', 'provider'],
  properties: {
    id: { type: 'integer' },
    documentId: { type: 'string' },
    name: { type: 'string' },
    alternativeText: nullable('string'),
    caption: nullable('string'),
    width: nullable('integer'),
    height: nullable('integer'),
    formats: { type: ['object', 'null'], additionalProperties: FORMAT },
    hash: { type: 'string' },
    ext: nullable('string'),
    mime: { type: 'string' },
    size: { type: 'number', description: 'kilobytes (1000 bytes), two decimals' },
    url: { type: 'string' },
    previewUrl: nullable('string'),
    provider: { type: 'string' },
    provider_metadata: { type: ['object', 'null'], additionalProperties: true },
    folderPath: { type: 'string' },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
    publishedAt: { type: 'string', format: 'date-time' },
    isUrlSigned: { type: 'boolean' },
    related: {
      type: 'array',
      items: {
        type: 'object',
        properties: { __type: { type: 'string' }, id: { type: ['string', 'integer'] }, field: { type: 'string' } },
      },
    },
  },
  additionalProperties: true,
} as const;

const CHECK = {
  type: 'object',
  properties: {
    ok: { type: 'boolean' },
    checked: { type: 'boolean', description: 'false when the provider cannot be asked without side effects' },
    reason: { type: 'string' },
    error: { type: 'string' },
  },
} as const;

export const READINESS = {
  $id: 'Readiness',
  type: 'object',
  required: ['status', 'database', 'provider'],
  properties: {
    status: { enum: ['ready', 'unavailable'] },
    database: { allOf: [CHECK, { type: 'object', properties: { dialect: { enum: ['sqlite', 'postgres'] } } }] },
    provider: { allOf: [CHECK, { type: 'object', properties: { name: { type: 'string' } } }] },
  },
} as const;

export const SHARED_SCHEMAS = [ERROR_ENVELOPE, FILE_ENTITY, READINESS];

const DESCRIPTIONS: Record<number, string> = {
  400: 'The request is malformed; the message says what to change',
  401: 'No token, or a token that matches none',
  403: 'A read-only token where a full-access one is needed',
  404: 'Not found',
  409: 'Conflict with the current state',
  410: 'Expired',
  413: 'Larger than the size limit',
  415: 'A type that is not accepted',
  422: 'An image that cannot be processed',
  499: 'The client went away',
  501: 'The storage cannot do this',
  502: 'The storage refused the server',
  503: 'The storage or the database is unavailable; retry after `Retry-After` seconds',
};

/** Response entries in the error envelope for these statuses (plus 503, which any route can answer). */
export function errorResponses(...statuses: number[]): Record<number, unknown> {
  const out: Record<number, unknown> = {};
  for (const status of [...statuses, 503]) {
    out[status] = { description: DESCRIPTIONS[status] ?? 'Error', $ref: 'ErrorEnvelope#' };
  }
  return out;
}

export const FILE_ID_PARAMS = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', pattern: '^[1-9][0-9]{0,15}$', description: 'The file id' } },
} as const;

/** The local provider's files and signed form POSTs, served by this server under /uploads. */
export const LOCAL_FILES_SCHEMA = {
  summary: "The local provider's files (GET, HEAD; signed URLs when private) and signed direct-upload forms (POST)",
  tags: ['local storage'],
  security: [],
  response: {
    200: {
      description: 'The bytes',
      content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
    },
    ...errorResponses(400, 403, 404, 413),
  },
} as const;
