// The OpenAPI document at /openapi.json: valid OpenAPI 3.1 (checked by @readme/openapi-parser), with every route the
// server registers, the shared error envelope, and schemas that describe without changing what the routes answer.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { compileErrors, validate } from '@readme/openapi-parser';
import { buildApp } from '../src/app.js';
import { parseConfig } from '../src/config/load.js';
import { json } from './helpers/http.js';
import { startServer, type TestServer } from './helpers/server.js';

interface Operation {
  responses?: Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }>;
}
interface Document {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown> };
}

/** fastify's `/a/:id/*` as OpenAPI writes it: `/a/{id}/{*}`. */
const toOpenApiPath = (url: string) => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}').replace(/\*$/, '{*}');

describe('GET /openapi.json', () => {
  const dir = mkdtempSync(join(tmpdir(), 'upload-server-openapi-'));
  const routes: Array<[string, string]> = [];
  let document: Document;

  beforeAll(async () => {
    const app = await buildApp(parseConfig({ dataDir: dir, logLevel: 'silent' }), {
      logger: false,
      onRoute: (route) => {
        for (const method of [route.method].flat()) routes.push([method.toLowerCase(), route.url]);
      },
    });
    try {
      const url = await app.listen({ host: '127.0.0.1', port: 0 });
      const res = await fetch(`${url}/openapi.json`);
      expect(res.status).toBe(200);
      document = (await res.json()) as Document;
    } finally {
      await app.close();
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('is a valid OpenAPI 3.1 document', async () => {
    expect(document.openapi).toBe('3.1.0');
    // The validator dereferences in place: give it a copy.
    const result = await validate(structuredClone(document) as Parameters<typeof validate>[0]);
    if (!result.valid) throw new Error(compileErrors(result));
    expect(result.valid).toBe(true);
  });

  test('has every route the server registered, each with its method', () => {
    expect(routes.length).toBeGreaterThan(15);
    const missing = routes.filter(([method, url]) => !document.paths[toOpenApiPath(url)]?.[method]);
    expect(missing).toEqual([]);
  });

  test('every route documents the error envelope for a 503, and its errors point at the shared schema', () => {
    expect(Object.keys(document.components.schemas)).toEqual(
      expect.arrayContaining(['ErrorEnvelope', 'FileEntity', 'Readiness']),
    );
    for (const [path, item] of Object.entries(document.paths)) {
      if (path === '/openapi.json' || path === '/_health') continue;
      for (const [method, operation] of Object.entries(item)) {
        const unavailable = operation.responses?.['503'];
        expect([path, method, unavailable?.content?.['application/json']?.schema?.$ref]).toEqual([
          path,
          method,
          path === '/_ready' ? '#/components/schemas/Readiness' : '#/components/schemas/ErrorEnvelope',
        ]);
      }
    }
  });
});

describe('schemas describe without changing answers', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server?.close());

  async function post(path: string, body: unknown) {
    const res = await fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: await json(res) };
  }

  test('a body the schema calls invalid still gets the route’s own 400 message, in the envelope', async () => {
    const missing = await post('/api/upload/direct', { mime: 'text/plain', size: 3 });
    expect(missing.status).toBe(400);
    expect(missing.body.error.message).toBe('name is required: a non-empty string of at most 255 characters');
    const tooMany = await post('/api/files/sign-urls', { secrets: [] });
    expect(tooMany.body.error.message).toBe('secrets is empty: send at least one secret');
  });

  test('a file id the params pattern refuses is still Strapi’s 404, not a validation error', async () => {
    const res = await fetch(`${server.url}/api/upload/files/abc`);
    expect(res.status).toBe(404);
    expect((await json(res)).error.message).toBe('file.notFound');
  });

  test('fields the response schema does not name are still sent', async () => {
    const res = await fetch(`${server.url}/_ready`);
    const body = await json(res);
    // `dialect` and `name` sit in allOf branches a schema serializer would drop.
    expect(body).toEqual({
      status: 'ready',
      database: { dialect: 'sqlite', ok: true },
      provider: { name: 'local', ok: true },
    });
  });
});
