import { lstat, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import type { Kysely } from 'kysely';
import type { UploadProvider } from 'upload-provider';
import type { Journal } from '../store/journal.js';
import type { Database, Dialect } from '../store/schema.js';
import { withSweepLock } from '../store/sweep-lock.js';
import { SPOOL_PREFIX, spoolsInUse } from './spool.js';

/** Pending objects looked at per sweep; the next sweep takes the rest. */
const BATCH = 1000;

// The spool folders this server makes (`mkdtemp(<tempDir>/upload-server-)`: six random characters) and the files it
// writes in them (`original`, `original.<format>.<ext>`): nothing else in the temp folder is touched.
const SPOOL_FOLDER = new RegExp(`^${SPOOL_PREFIX}[A-Za-z0-9]{6}$`);
const SPOOL_FILE = /^original(?:\.[a-z0-9-]+\.[a-z0-9]+)?$/i;

export interface OrphanSweepDeps {
  db: Kysely<Database>;
  dialect: Dialect;
  journal: Journal;
  provider: UploadProvider;
  /** Where this server spools uploads: `config.tempDir` or the OS's temporary folder. */
  tempDir: string;
  /** What nobody vouched for this long is left over by a dead process. */
  graceMs: number;
  /** Spool folders this process is using right now. Default: the ones `spool` made and has not removed. */
  liveFolders?: ReadonlySet<string>;
  log: FastifyBaseLogger;
}

export interface OrphanSweepResult {
  /** Another server was sweeping the database: its pending objects were left to it. */
  skipped: boolean;
  /** Pending objects no row referenced, deleted from the storage. */
  removed: number;
  /** Pending objects a row referenced after all: kept, their entries cleared. */
  kept: number;
  /** Deletes that failed; their entries stay for the next sweep. */
  failed: number;
  spoolFolders: number;
  providerTemp: number;
}

/**
 * Removes what dead processes left behind, once older than the grace period: objects recorded in the journal that
 * no row references (through the provider's `delete`), this server's own spool folders, and the provider's
 * temporary data (its optional `cleanup`). One server sweeps a database at a time; the others skip their turn.
 */
export async function sweepOrphans(deps: OrphanSweepDeps, now: number = Date.now()): Promise<OrphanSweepResult> {
  const { journal, provider, log } = deps;
  const cutoff = new Date(now - deps.graceMs);
  // Vouch for this process's uploads in flight first, so no other server takes them for a dead one's.
  await journal.touchHeld();
  const spoolFolders = await removeStaleSpoolFolders(deps.tempDir, cutoff, deps.liveFolders ?? spoolsInUse, log);
  const swept = await withSweepLock(deps.db, deps.dialect, 'orphans', async (db) => {
    const locked = journal.on(db);
    let removed = 0;
    let kept = 0;
    let failed = 0;
    for (const pending of await locked.pendingBefore(cutoff, BATCH)) {
      if (journal.held.has(pending.key)) continue;
      if (await locked.isReferenced(pending)) {
        await locked.clear([pending.key]);
        kept += 1;
        continue;
      }
      try {
        await provider.delete({ key: pending.key, providerMetadata: pending.providerMetadata });
      } catch (error) {
        failed += 1;
        log.error({ err: error, key: pending.key }, 'could not remove an orphaned object; the next sweep retries');
        continue;
      }
      await locked.clear([pending.key]);
      removed += 1;
    }
    let providerTemp = 0;
    // Optional in the contract: providers that keep temporary data of their own implement it.
    if (provider.cleanup) {
      try {
        providerTemp = (await provider.cleanup({ olderThan: cutoff })).removed;
      } catch (error) {
        log.error({ err: error }, "could not remove the provider's temporary files");
      }
    }
    return { removed, kept, failed, providerTemp };
  });
  const result: OrphanSweepResult = {
    skipped: swept === undefined,
    removed: 0,
    kept: 0,
    failed: 0,
    providerTemp: 0,
    ...swept,
    spoolFolders,
  };
  if (result.removed + result.spoolFolders + result.providerTemp + result.failed > 0) {
    log.info({ sweep: result }, 'removed what an interrupted upload left behind');
  }
  return result;
}

/** Removes this server's spool folders that nothing was written to since `cutoff`; returns how many. */
async function removeStaleSpoolFolders(
  tempDir: string,
  cutoff: Date,
  live: ReadonlySet<string>,
  log: FastifyBaseLogger,
): Promise<number> {
  let names: string[];
  try {
    names = await readdir(tempDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
  let removed = 0;
  for (const name of names) {
    const folder = join(tempDir, name);
    if (!SPOOL_FOLDER.test(name) || live.has(folder)) continue;
    try {
      if (!(await isStaleSpool(folder, cutoff))) continue;
      await rm(folder, { recursive: true, force: true });
      removed += 1;
    } catch (error) {
      // Gone meanwhile (another server on this machine swept it), or unreadable: not ours to force.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        log.warn({ err: error, folder }, 'could not check or remove a stale spool folder');
      }
    }
  }
  return removed;
}

/** A folder of ours: only regular files with our names, none written to since `cutoff`. */
async function isStaleSpool(folder: string, cutoff: Date): Promise<boolean> {
  const stats = await lstat(folder);
  if (!stats.isDirectory() || stats.mtime >= cutoff) return false;
  for (const entry of await readdir(folder)) {
    if (!SPOOL_FILE.test(entry)) return false;
    const file = await lstat(join(folder, entry));
    if (!file.isFile() || file.mtime >= cutoff) return false;
  }
  return true;
}
