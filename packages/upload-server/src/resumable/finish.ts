import { createReadStream } from 'node:fs';
import type { Upload } from '@tus/server';
import { ERRORS } from '@tus/server';
import type { FastifyBaseLogger } from 'fastify';
import type { UploadProvider } from 'upload-provider';
import type { UploadServerConfig } from '../config/schema.js';
import { HttpError } from '../errors.js';
import { toFileEntity } from '../files/entity.js';
import type { Repository } from '../store/repository.js';
import type { StagedFile, Uploads } from '../uploads/index.js';
import type { ResumableStore } from './datastore.js';
import { sessionOf } from './datastore.js';
import { readMetadata } from './metadata.js';
import { nativeSessions, type tempFileSessions } from './sessions.js';

/** What resumable uploads need of the server (the app's context has it all). */
export interface ResumableDeps {
  config: UploadServerConfig;
  provider: UploadProvider;
  repo: Repository;
  uploads: Uploads;
  log: FastifyBaseLogger;
}

/** What the last request of an upload answers: 200 with the file entities, as `POST /api/upload` gives them. */
export interface FinishAnswer {
  status_code: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * The last byte arrived: the object goes through the pipeline (native sessions: completed, then adopted; the temp
 * file: staged, one streamed `provider.upload`), the row is committed, and the upload is marked completed. When any
 * step fails, the session, whatever was stored and the upload itself are removed, and the error is the answer.
 */
export function createFinish(
  ctx: ResumableDeps,
  store: ResumableStore,
  temp: ReturnType<typeof tempFileSessions> | null,
): (upload: Upload) => Promise<FinishAnswer> {
  return async (upload) => {
    const { repo, uploads, config } = ctx;
    const row = await repo.tusUploads.find(upload.id);
    if (!row) throw ERRORS.FILE_NOT_FOUND;
    if (!(await repo.tusUploads.claim(row.id, 'active', 'finishing'))) {
      throw new HttpError(409, 'This upload is already being finished');
    }
    const meta = readMetadata(JSON.parse(row.metadata) as Record<string, string | null>, config);
    const { kind, state } = sessionOf(row);
    const size = Number(row.upload_length ?? row.upload_offset);
    const common = {
      filename: meta.filename,
      claimedMime: meta.mime,
      ...(meta.folder ? { folderPath: meta.folder } : {}),
    };
    let staged: StagedFile;
    try {
      if (kind === 'native') {
        // Pending from before the object exists: a process killed before the commit leaves it to the orphan sweep.
        await repo.journal.record([{ key: row.object_key }]);
        const stored = await nativeSessions(ctx.provider).complete(row.object_key, state, size);
        staged = await uploads.adopt({
          key: stored.key,
          providerMetadata: stored.providerMetadata ?? null,
          size: stored.size,
          ...common,
        });
      } else {
        if (!temp) throw new Error('a temp-file upload reached a server without the generic path');
        const path = temp.pathOf(state);
        staged = await uploads.stage({ stream: createReadStream(path), ...common });
        await temp.abort(row.object_key, state);
      }
    } catch (error) {
      await store.discard(row).catch((e) => ctx.log.error({ err: e, uploadId: row.id }, 'could not discard an upload'));
      throw error;
    }
    // commit removes the staged objects itself when it fails.
    const inserted = await uploads
      .commit(staged, { ...(meta.fileInfo ? { fileInfo: meta.fileInfo } : {}), links: meta.links })
      .catch(async (error: unknown) => {
        await store.discard(row).catch(() => {});
        throw error;
      });
    await repo.tusUploads.complete(row.id, inserted.id);
    const linked = meta.links.length > 0 ? await repo.linksOf([inserted.id]) : undefined;
    const entity = await toFileEntity(inserted, ctx, linked ? { links: linked.get(inserted.id) ?? [] } : {});
    return {
      status_code: 200,
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify([entity]),
    };
  };
}
