import { setTimeout as sleep } from 'node:timers/promises';
import { ERRORS, type Lock, type Locker, MemoryLocker, type RequestRelease } from '@tus/server';
import pg from 'pg';

/** The first half of every upload lock's advisory key (the second is `hashtext(id)`): apart from other locks. */
export const TUS_LOCK_SPACE = 724_611_812;
const ACQUIRE_TIMEOUT_MS = 30_000;
const POLL_MS = 50;

/**
 * One request at a time per upload across a fleet of servers on one PostgreSQL: the in-process lock first (which asks
 * a holder in this process to let go, as tus wants), then a session advisory lock on a connection of its own pool,
 * so a server holding many locks never starves the queries it runs while holding them.
 */
export function createPostgresLocker(url: string, poolSize: number): Locker & { close(): Promise<void> } {
  const memory = new MemoryLocker({ acquireLockTimeout: ACQUIRE_TIMEOUT_MS });
  const pool = new pg.Pool({ connectionString: url, max: poolSize });
  // An idle connection dropped by the database must not crash the process; the next lock opens another.
  pool.on('error', () => {});
  return {
    close: () => pool.end(),
    newLock(id: string): Lock {
      const inner = memory.newLock(id);
      let client: pg.PoolClient | undefined;
      return {
        async lock(signal: AbortSignal, requestRelease: RequestRelease) {
          await inner.lock(signal, requestRelease);
          try {
            client = await pool.connect();
            const deadline = Date.now() + ACQUIRE_TIMEOUT_MS;
            for (;;) {
              const { rows } = await client.query<{ locked: boolean }>(
                'select pg_try_advisory_lock($1, hashtext($2)) as locked',
                [TUS_LOCK_SPACE, id],
              );
              if (rows[0]?.locked) return;
              if (signal.aborted || Date.now() > deadline) throw ERRORS.ERR_LOCK_TIMEOUT;
              await sleep(POLL_MS);
            }
          } catch (error) {
            client?.release();
            client = undefined;
            await inner.unlock();
            throw error;
          }
        },
        async unlock() {
          const held = client;
          client = undefined;
          if (held) {
            try {
              await held.query('select pg_advisory_unlock($1, hashtext($2))', [TUS_LOCK_SPACE, id]);
              held.release();
            } catch (error) {
              // A connection that cannot unlock is closed, which releases its session locks.
              held.release(error as Error);
            }
          }
          await inner.unlock();
        },
      };
    },
  };
}

/** One process (SQLite): tus's in-memory lock. */
export function createMemoryLocker(): Locker {
  return new MemoryLocker({ acquireLockTimeout: ACQUIRE_TIMEOUT_MS });
}
