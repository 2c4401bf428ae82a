import type { FastifyBaseLogger } from 'fastify';
import type { Kysely } from 'kysely';
import type { UploadProvider } from 'upload-provider';
import type { UploadServerConfig } from './config/schema.js';
import type { ImageProcessor } from './images/index.js';
import type { Resumable } from './resumable/index.js';
import type { Repository } from './store/repository.js';
import type { Database, Dialect } from './store/schema.js';
import type { Uploads } from './uploads/types.js';

/** What every route reaches through `app.uploads`. */
export interface UploadsContext {
  config: UploadServerConfig;
  provider: UploadProvider;
  db: Kysely<Database>;
  dialect: Dialect;
  repo: Repository;
  /** The one upload pipeline: inspect, spool, stage or adopt, commit; nothing left on failure. */
  uploads: Uploads;
  /** Null when image formats are turned off. */
  images: ImageProcessor | null;
  log: FastifyBaseLogger;
  /** Resumable uploads (tus): the server, and the sweep of expired uploads. */
  resumable: Resumable;
  /** The public origin of this server (`http://127.0.0.1:1337`), for URLs the server itself serves. */
  publicUrl: string;
}

declare module 'fastify' {
  interface FastifyInstance {
    uploads: UploadsContext;
  }
}
