import { tmpdir } from 'node:os';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { createDebug, type UploadProvider } from 'upload-provider';
import type { UploadServerConfig } from '../config/schema.js';
import { refOf } from '../files/model.js';
import type { Repository } from '../store/repository.js';
import type { Database, Dialect } from '../store/schema.js';
import { sweepOrphans } from './orphans.js';

const debug = createDebug('upload-server:sweep');

/** How long after its credentials expire a direct upload may still be confirmed, and before the sweep removes it. */
export const CONFIRM_GRACE_MS = 60_000;
/** How often the sweep runs (also once at start-up). */
export const SWEEP_INTERVAL_MS = 60_000;

/** What the sweep needs. */
export interface SweepDeps {
  repo: Pick<Repository, 'directUploads'>;
  provider: UploadProvider;
  log: FastifyBaseLogger;
  /** Removes expired resumable uploads (their sessions and rows). */
  resumable?: { expire(): Promise<number> };
}

/** What both sweeps need: expired direct uploads, and what killed processes left (see orphans.ts). */
export interface AllSweepsDeps extends SweepDeps {
  repo: Pick<Repository, 'directUploads' | 'journal'>;
  db: Kysely<Database>;
  dialect: Dialect;
  config: Pick<UploadServerConfig, 'tempDir' | 'orphanGraceMs'>;
}

/**
 * Removes the objects of direct uploads whose credentials expired (plus the grace period) without a confirm, and
 * marks them expired. Returns how many were swept. `now` defaults to the clock.
 */
export async function sweepExpiredDirectUploads(deps: SweepDeps, now: number = Date.now()): Promise<number> {
  const { directUploads } = deps.repo;
  const rows = await directUploads.expiredBefore(new Date(now - CONFIRM_GRACE_MS), 500);
  let swept = 0;
  for (const row of rows) {
    // Claim the row first, so a confirm racing the sweep cannot record a file whose object is being removed.
    if (!(await directUploads.claim(row.id, 'pending', 'expired'))) continue;
    try {
      await deps.provider.delete(refOf(row));
      swept += 1;
    } catch (error) {
      deps.log.error({ err: error, uploadId: row.id }, 'could not remove the object of an expired direct upload');
    }
  }
  if (swept > 0) debug('swept', { swept });
  return swept;
}

/** How often the sweeps run, and who counts them (the metrics). */
export interface SweepSchedule {
  intervalMs?: number;
  /** Called after each sweep that ran (not one skipped for another server's), with what it removed. */
  onSweep?: (kind: string, removed: number) => void;
}

/**
 * Runs the sweeps once the server is ready (before it listens: what a killed process left is gone before new
 * uploads come), then every {@link SWEEP_INTERVAL_MS}, until it closes (which waits for a sweep in progress).
 */
export function startSweeps(app: FastifyInstance, deps: AllSweepsDeps, schedule: SweepSchedule = {}): void {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const orphans = {
    db: deps.db,
    dialect: deps.dialect,
    journal: deps.repo.journal,
    provider: deps.provider,
    tempDir: deps.config.tempDir ?? tmpdir(),
    graceMs: deps.config.orphanGraceMs,
    log: deps.log,
  };
  const run = () => {
    running = (async () => {
      await sweepExpiredDirectUploads(deps).then(
        (removed) => schedule.onSweep?.('direct-uploads', removed),
        (error) => deps.log.error({ err: error }, 'direct upload sweep failed'),
      );
      await sweepOrphans(orphans).then(
        (result) => {
          if (!result.skipped)
            schedule.onSweep?.('orphans', result.removed + result.spoolFolders + result.providerTemp);
        },
        (error) => deps.log.error({ err: error }, 'orphan sweep failed'),
      );
      await deps.resumable?.expire().catch((error) => deps.log.error({ err: error }, 'resumable upload sweep failed'));
    })();
    return running;
  };
  app.addHook('onReady', async () => {
    await run();
    timer = setInterval(run, schedule.intervalMs ?? SWEEP_INTERVAL_MS);
    timer.unref();
  });
  app.addHook('onClose', async () => {
    if (timer) clearInterval(timer);
    await running;
  });
}
