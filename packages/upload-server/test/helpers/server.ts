import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { UploadProvider } from 'upload-provider';
import { buildApp } from '../../src/app.js';
import { parseConfig } from '../../src/config/load.js';
import type { UploadServerConfigInput } from '../../src/config/schema.js';
import { dropSchema, freshSchema, PG_TEST_URL, postgresAvailable } from './pg.js';

export type DbKind = 'sqlite' | 'postgres';

export interface TestServer {
  app: FastifyInstance;
  /** `http://127.0.0.1:<port>` */
  url: string;
  dir: string;
  kind: DbKind;
  close(): Promise<void>;
}

export interface StartOptions {
  kind?: DbKind;
  config?: Partial<UploadServerConfigInput>;
  provider?: UploadProvider;
  /** PostgreSQL schema to use (default: a fresh one, dropped on close). */
  schema?: string;
  /** Data folder to use (default: a fresh one, removed on close): a second server on it is a restart. */
  dir?: string;
}

/** Starts the real server on 127.0.0.1, port 0, with a temporary data folder and the chosen database. */
export async function startServer(options: StartOptions = {}): Promise<TestServer> {
  const kind = options.kind ?? 'sqlite';
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'upload-server-test-'));
  const schema = kind === 'postgres' ? (options.schema ?? freshSchema()) : undefined;
  const config = parseConfig({
    host: '127.0.0.1',
    port: 0,
    dataDir: dir,
    logLevel: 'silent',
    ...options.config,
    database: kind === 'postgres' ? { url: PG_TEST_URL, schema, poolSize: 4 } : { url: join(dir, 'test.db') },
  });
  let app: FastifyInstance;
  try {
    app = await buildApp(config, {
      logger: false,
      ...(options.provider ? { provider: options.provider } : {}),
      publicUrl: 'http://127.0.0.1:0',
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
  } catch (error) {
    if (schema && !options.schema) await dropSchema(schema).catch(() => {});
    if (!options.dir) rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    app,
    url: `http://127.0.0.1:${port}`,
    dir,
    kind,
    async close() {
      await app.close();
      if (schema && !options.schema) await dropSchema(schema);
      if (!options.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The databases every server suite runs on: SQLite always, PostgreSQL when reachable (always in CI). */
export function databases(): DbKind[] {
  return postgresAvailable() ? ['sqlite', 'postgres'] : ['sqlite'];
}
