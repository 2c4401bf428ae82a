import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { SETUP_LOCK } from '../../src/store/db.js';

export const PG_TEST_URL = process.env.PG_TEST_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

let available: boolean | undefined;

/**
 * Whether PostgreSQL answers at PG_TEST_URL (checked once, synchronously, so suites can be declared or not).
 * With CI set, an unreachable server is an error: CI never skips PostgreSQL.
 */
export function postgresAvailable(): boolean {
  if (available !== undefined) return available;
  const probe = spawnSync(
    process.execPath,
    [
      '-e',
      `const pg=require(${JSON.stringify(require.resolve('pg'))});const c=new pg.Client({connectionString:process.argv[1],connectionTimeoutMillis:3000});c.connect().then(()=>c.end()).then(()=>process.exit(0),()=>process.exit(1))`,
      PG_TEST_URL,
    ],
    { timeout: 10_000 },
  );
  available = probe.status === 0;
  if (!available) {
    if (process.env.CI) throw new Error(`PostgreSQL is not reachable at ${PG_TEST_URL}, and CI must not skip it`);
    console.warn(`PostgreSQL is not reachable at ${PG_TEST_URL}: SKIPPING the PostgreSQL runs of these tests`);
  }
  return available;
}

/** A fresh schema name for one test file. */
export function freshSchema(): string {
  return `t_${randomBytes(6).toString('hex')}`;
}

/** Drops a test schema, holding the servers' setup lock so no migration elsewhere reads the catalog meanwhile. */
export async function dropSchema(schema: string, url = PG_TEST_URL): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('select pg_advisory_lock($1)', [SETUP_LOCK]);
    await client.query(`drop schema if exists "${schema}" cascade`);
  } finally {
    await client.end();
  }
}
