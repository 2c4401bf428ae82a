import { type Locker, Server } from '@tus/server';
import { toEnvelope } from '../errors.js';
import { isPostgresUrl } from '../store/db.js';

import { ResumableStore } from './datastore.js';
import { expireResumableUploads } from './expire.js';
import { createFinish, type ResumableDeps } from './finish.js';

export type { ResumableDeps } from './finish.js';

import { createMemoryLocker, createPostgresLocker } from './locker.js';
import { readMetadata } from './metadata.js';
import { nativeSessions, resumableOf, type Sessions, tempFileSessions, tempSessionsDir } from './sessions.js';

/** Where the tus endpoint lives. */
export const TUS_PATH = '/api/upload/tus';

export interface Resumable {
  /** @tus/server, answering every request under {@link TUS_PATH}. */
  server: Server;
  /** Removes expired uploads (see the sweep). */
  expire(now?: number): Promise<number>;
  close(): Promise<void>;
}

/**
 * Resumable uploads: tus 1.0 served by @tus/server over the provider's own sessions when it has them
 * (`capabilities.resumable`), else over temp files (the generic path). State in the database, locks in PostgreSQL
 * when the database is PostgreSQL (a fleet of servers), in memory on SQLite (one process).
 */
export function createResumable(ctx: ResumableDeps): Resumable {
  const { config, provider, repo, log } = ctx;
  const temp = tempFileSessions(tempSessionsDir(config.tempDir));
  const native = resumableOf(provider) ? nativeSessions(provider) : null;
  const sessions: Sessions = native ?? temp;
  const store = new ResumableStore({
    config,
    uploads: repo.tusUploads,
    sessions,
    expiresInMs: config.resumable.expiresIn * 1000,
  });
  const pgLocker = isPostgresUrl(config.database.url)
    ? createPostgresLocker(config.database.url, config.database.poolSize)
    : null;
  const locker: Locker = pgLocker ?? createMemoryLocker();
  const finish = createFinish(ctx, store, temp);
  const origins = config.corsOrigins;
  const server = new Server({
    path: TUS_PATH,
    datastore: store,
    locker,
    maxSize: config.sizeLimit,
    // Relative, so the URL is right behind any proxy; clients resolve it against the endpoint.
    relativeLocation: true,
    allowedOrigins: origins === '*' ? (_origin: string) => true : (origin: string) => origins.includes(origin),
    // Metadata problems are refused at creation, before any session exists.
    onUploadCreate: async (_req, upload) => {
      readMetadata(upload.metadata, config);
      return {};
    },
    onUploadFinish: (_req, upload) => finish(upload),
    // Our own refusals (HttpError, ProviderError, ImageError) in the server's envelope; tus's own keep their text.
    onResponseError: (_req, error) => {
      if ('status_code' in error) return undefined;
      const body = toEnvelope(error);
      if (body.error.status >= 500) log.error({ err: error }, 'resumable upload failed');
      return { status_code: body.error.status, body: JSON.stringify(body) };
    },
  });
  return {
    server,
    expire: (now) => expireResumableUploads({ repo, sessions: { [sessions.kind]: sessions, temp }, log }, now),
    close: async () => {
      await pgLocker?.close();
    },
  };
}
