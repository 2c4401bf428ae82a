import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { type Kysely, sql } from 'kysely';
import type { Database, Dialect } from './schema.js';

// PostgreSQL advisory lock keys are (int4, int4); the second is the schema's hash, so servers of different schemas
// in one database sweep independently. Distinct from the setup lock in db.ts (a single bigint key).
const SWEEP_LOCK = 724_611_804;

/** A SQLite lease outlives a sweep by far; a holder killed mid-sweep only delays the next one this long. */
const LEASE_MS = 5 * 60_000;

/**
 * Runs `fn` if no other server is sweeping this database, and resolves with its result; resolves `undefined` at once
 * when another one is. PostgreSQL: `pg_try_advisory_lock`, held by one pooled connection that `fn` then works
 * through (it is released when that connection ends, even by a crash). SQLite: a lease row, taken when free or expired.
 */
export async function withSweepLock<T>(
  db: Kysely<Database>,
  dialect: Dialect,
  name: string,
  fn: (db: Kysely<Database>) => Promise<T>,
): Promise<T | undefined> {
  if (dialect === 'postgres') {
    return db.connection().execute(async (conn) => {
      const { rows } = await sql<{ got: boolean }>`
        select pg_try_advisory_lock(${SWEEP_LOCK}, hashtext(current_schema() || ${name})) as got`.execute(conn);
      if (!rows[0]?.got) return undefined;
      try {
        return await fn(conn);
      } finally {
        await sql`select pg_advisory_unlock(${SWEEP_LOCK}, hashtext(current_schema() || ${name}))`.execute(conn);
      }
    });
  }
  // A holder per call: two overlapping sweeps of one process exclude each other as well.
  const me = `${hostname()}:${process.pid}:${randomBytes(6).toString('hex')}`;
  const now = new Date();
  await db
    .insertInto('sweep_leases')
    .values({ name, holder: me, expires_at: new Date(now.getTime() + LEASE_MS).toISOString() })
    .onConflict((oc) =>
      oc
        .column('name')
        .doUpdateSet((eb) => ({ holder: eb.ref('excluded.holder'), expires_at: eb.ref('excluded.expires_at') }))
        .where('sweep_leases.expires_at', '<', now.toISOString()),
    )
    .execute();
  const lease = await db.selectFrom('sweep_leases').select('holder').where('name', '=', name).executeTakeFirst();
  if (lease?.holder !== me) return undefined;
  try {
    return await fn(db);
  } finally {
    await db.deleteFrom('sweep_leases').where('name', '=', name).where('holder', '=', me).execute();
  }
}
