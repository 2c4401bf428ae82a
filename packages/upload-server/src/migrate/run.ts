import { isProviderError, type UploadProvider } from 'upload-provider';
import type { ObjectMigrations } from '../store/object-migrations.js';
import type { Repository } from '../store/repository.js';
import { copyObject, existingCopy } from './copy.js';
import { objectsOf, rowPages, type StoredObject } from './objects.js';
import type { Reporter, Totals } from './report.js';

export interface CopyRun {
  repo: Repository;
  progress: ObjectMigrations;
  source: UploadProvider;
  target: UploadProvider;
  concurrency: number;
  /** When it fires, no new copy starts; the copies in flight finish and are recorded. */
  stop: AbortSignal;
  reporter: Reporter;
}

export interface Plan extends Totals {
  /** Objects already copied by an earlier run. */
  done: number;
  doneBytes: number;
}

export interface CopyOutcome {
  copied: number;
  bytes: number;
  failed: Array<{ key: string; error: string }>;
  /** Objects left for the next run (the run was stopped, or they failed). */
  left: number;
  interrupted: boolean;
}

/** Every object the rows reference and how much of it an earlier run already copied. Reads only. */
export async function planCopy(repo: Repository, progress: ObjectMigrations, source: string): Promise<Plan> {
  const plan: Plan = { files: 0, bytes: 0, done: 0, doneBytes: 0 };
  for await (const rows of rowPages(repo, source)) {
    const objects = rows.flatMap(objectsOf);
    const known = await progress.progressOf(objects.map((o) => o.key));
    for (const o of objects) {
      plan.files++;
      plan.bytes += o.size;
      if (known.get(o.key)?.status === 'done') {
        plan.done++;
        plan.doneBytes += o.size;
      }
    }
  }
  return plan;
}

function describe(error: unknown): string {
  if (isProviderError(error)) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

/**
 * Copies every object not yet done, `concurrency` at a time, recording each one before (`copying`) and after (`done`
 * or `failed`) in the database. An object left `copying` by a run that died is checked on the target first and only
 * copied again when the target does not hold an identical copy.
 */
export async function runCopy(run: CopyRun, plan: Plan): Promise<CopyOutcome> {
  const { progress, source, target, stop, reporter } = run;
  const outcome: CopyOutcome = { copied: 0, bytes: 0, failed: [], left: 0, interrupted: false };
  reporter.start({ files: plan.files - plan.done, bytes: plan.bytes - plan.doneBytes });
  const report = () =>
    reporter.update({
      files: outcome.copied + outcome.failed.length,
      bytes: outcome.bytes,
      failed: outcome.failed.length,
    });

  const copyOne = async (object: StoredObject, resumed: boolean) => {
    try {
      const existing = resumed ? await existingCopy(source, target, object) : null;
      await progress.markCopying(object);
      const copied = existing ?? (await copyObject(source, target, object));
      await progress.markDone(object, {
        sha256: copied.sha256,
        storedKey: copied.stored.key,
        storedMetadata: copied.stored.providerMetadata ?? null,
      });
      outcome.copied++;
      outcome.bytes += object.size;
    } catch (error) {
      outcome.failed.push({ key: object.key, error: describe(error) });
      await progress.markFailed(object, describe(error)).catch(() => {});
    }
    report();
  };

  try {
    for await (const rows of rowPages(run.repo, source.name)) {
      const objects = rows.flatMap(objectsOf);
      const known = await progress.progressOf(objects.map((o) => o.key));
      const todo = objects.filter((o) => known.get(o.key)?.status !== 'done');
      if (stop.aborted) {
        outcome.left += todo.length;
        continue;
      }
      let next = 0;
      const worker = async () => {
        while (next < todo.length && !stop.aborted) {
          const object = todo[next++]!;
          await copyOne(object, known.get(object.key) !== undefined);
        }
      };
      await Promise.all(Array.from({ length: Math.min(run.concurrency, todo.length) }, worker));
      outcome.left += todo.length - next;
    }
  } finally {
    reporter.stop();
  }
  outcome.left += outcome.failed.length;
  outcome.interrupted = stop.aborted;
  return outcome;
}
