import type { FastifyBaseLogger } from 'fastify';
import { createDebug } from 'upload-provider';
import type { Repository } from '../store/repository.js';
import { sessionOf } from './datastore.js';
import type { Sessions } from './sessions.js';

const debug = createDebug('upload-server:resumable');

export interface ExpireDeps {
  repo: Pick<Repository, 'tusUploads'>;
  /** The sessions of each kind this server can reach (the generic path's only when it has a temp folder). */
  sessions: Partial<Record<'native' | 'temp', Sessions>>;
  log: FastifyBaseLogger;
}

/**
 * Removes resumable uploads past their expiry: an incomplete one loses its session (temp file, multipart upload
 * and tail object, partial file) and its row; a completed one only its row (the file is a file now). Returns how
 * many were removed.
 */
export async function expireResumableUploads(deps: ExpireDeps, now: number = Date.now()): Promise<number> {
  const { tusUploads } = deps.repo;
  let removed = 0;
  for (const row of await tusUploads.expiredBefore(new Date(now), 500)) {
    if (row.status === 'completed') {
      await tusUploads.remove(row.id);
      removed += 1;
      continue;
    }
    // Claim first, so a request still writing on another server is not cut under it. A row left `finishing` this
    // long belongs to a process that died mid-way: it is taken as it is.
    if (row.status === 'active' && !(await tusUploads.claim(row.id, 'active', 'finishing'))) continue;
    const session = sessionOf(row);
    try {
      await deps.sessions[session.kind]?.abort(row.object_key, session.state);
      await tusUploads.remove(row.id);
      removed += 1;
    } catch (error) {
      await tusUploads.claim(row.id, 'finishing', 'active').catch(() => {});
      deps.log.error({ err: error, uploadId: row.id }, 'could not remove an expired resumable upload');
    }
  }
  if (removed > 0) debug('expired', { removed });
  return removed;
}
