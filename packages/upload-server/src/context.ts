import type { FastifyBaseLogger } from 'fastify';
import type { Kysely } from 'kysely';
import type { UploadProvider } from 'upload-provider';
import type { UploadServerConfig } from './config/schema.js';
import type { Repository } from './store/repository.js';
import type { Database, Dialect } from './store/schema.js';
import type { ImageProcessor, Ingest } from './uploads/ingest.js';

/** What every route reaches through `app.uploads`. */
export interface UploadsContext {
  config: UploadServerConfig;
  provider: UploadProvider;
  db: Kysely<Database>;
  dialect: Dialect;
  repo: Repository;
  /** The one upload pipeline: sniff, check, stream to the provider, formats, row; nothing left on failure. */
  ingest: Ingest['ingest'];
  /** The two halves of `ingest`, for routes that read several files before they know every field. */
  pipeline: Ingest;
  /** Null when image formats are turned off. */
  images: ImageProcessor | null;
  log: FastifyBaseLogger;
  /** The public origin of this server (`http://127.0.0.1:1337`), for URLs the server itself serves. */
  publicUrl: string;
}

declare module 'fastify' {
  interface FastifyInstance {
    uploads: UploadsContext;
  }
}
