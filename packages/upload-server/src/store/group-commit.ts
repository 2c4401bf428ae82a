import type { ControlledTransaction, Kysely, Transaction } from 'kysely';
import type { Database } from './schema.js';

/** Most transactions one commit takes; more asked for in the same turn go into the next commit. */
const MAX_GROUP = 128;

/** Runs `fn` in a transaction that commits together with the others of its turn. */
export type GroupedRun = <T>(fn: (tx: Transaction<Database>) => Promise<T>) => Promise<T>;

interface Waiting {
  fn: (tx: Transaction<Database>) => Promise<unknown>;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/**
 * Group commit for SQLite. SQLite has one writer, and each commit writes every page it changed to the WAL (a new
 * row touches the table and each of its indexes), so many small transactions cost many page writes. Transactions
 * asked for in the same turn of the event loop run here one after another inside one database transaction, each in
 * its own savepoint, and commit together:
 * - a transaction that fails is rolled back to its savepoint: its writes are undone, the others' are kept;
 * - each resolves only once the shared commit succeeded, and fails with the commit's error if that fails;
 * - they still run one at a time, as they did on the one connection, so none sees another's half-done writes.
 */
export function createGroupCommit(db: Kysely<Database>): GroupedRun {
  let queue: Waiting[] = [];
  let scheduled = false;

  const flush = async () => {
    scheduled = false;
    const batch = queue.slice(0, MAX_GROUP);
    queue = queue.slice(MAX_GROUP);
    if (queue.length > 0) schedule();
    const done: Array<{ waiting: Waiting; value: unknown }> = [];
    let trx: ControlledTransaction<Database> | undefined;
    try {
      trx = await db.startTransaction().execute();
      for (const waiting of batch) {
        const point = await trx.savepoint('grouped').execute();
        try {
          const value = await waiting.fn(point);
          await point.releaseSavepoint('grouped').execute();
          done.push({ waiting, value });
        } catch (error) {
          await point.rollbackToSavepoint('grouped').execute();
          await point.releaseSavepoint('grouped').execute();
          waiting.reject(error);
        }
      }
      await trx.commit().execute();
    } catch (error) {
      // The shared transaction itself failed (begin, a savepoint, the commit): nothing of it was kept.
      await trx
        ?.rollback()
        .execute()
        .catch(() => undefined);
      for (const waiting of batch) waiting.reject(error); // those that failed on their own keep their own error
      return;
    }
    for (const { waiting, value } of done) waiting.resolve(value);
  };

  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(() => void flush());
  };

  return function grouped<T>(fn: (tx: Transaction<Database>) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      queue.push({ fn, resolve: resolve as (value: unknown) => void, reject });
      schedule();
    });
  };
}
