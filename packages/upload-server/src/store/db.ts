import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, PostgresDialect, type SqliteDatabase, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import { migrateToLatest } from './migrations.js';
import type { Database, Dialect } from './schema.js';

export interface DatabaseOptions {
  /** `postgres://…` / `postgresql://…` for PostgreSQL; otherwise a SQLite file path (`sqlite:` prefix allowed). */
  url?: string;
  /** PostgreSQL schema (created when missing); every connection uses it as its search path. */
  schema?: string;
  /** Most PostgreSQL connections. Default 10. */
  poolSize?: number;
  /** Where the default SQLite file lives: `<dataDir>/upload.db`. */
  dataDir: string;
  /** Working directory for a relative SQLite path. */
  cwd?: string;
}

export interface OpenDatabase {
  db: Kysely<Database>;
  dialect: Dialect;
  /** A description safe to log (no password). */
  describe: string;
  /**
   * SQLite only: `PRAGMA data_version`, which changes when another connection (another process) commits, and not
   * for this connection's own commits. Read without kysely: it is asked on every request.
   */
  dataVersion?: () => number;
  close(): Promise<void>;
}

export function isPostgresUrl(url: string | undefined): url is string {
  return !!url && /^postgres(ql)?:\/\//i.test(url);
}

/** Opens the metadata database and runs the migrations. */
export async function openDatabase(options: DatabaseOptions): Promise<OpenDatabase> {
  if (isPostgresUrl(options.url)) {
    const url = options.url;
    return withSetupLock(url, async () => {
      const opened = await openPostgres(url, options.schema, options.poolSize ?? 10);
      return migrated(opened);
    });
  }
  return migrated(openSqlite(options));
}

async function migrated(opened: OpenDatabase): Promise<OpenDatabase> {
  try {
    await migrateToLatest(opened.db as unknown as Kysely<unknown>, opened.dialect);
  } catch (error) {
    await opened.close();
    throw error;
  }
  return opened;
}

// One key for every upload-server: schema creation and migrations run one process at a time per database. Whoever
// drops a schema takes it too: kysely's migrator reads the catalog of every schema, and fails on one being dropped.
export const SETUP_LOCK = 724_611_803;

/**
 * Runs `fn` holding a PostgreSQL session advisory lock, so servers starting together on one database do not race to
 * create the schema or its tables (`create … if not exists` is not safe against a concurrent create).
 */
async function withSetupLock<T>(url: string, fn: () => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
    await client.query('select pg_advisory_lock($1)', [SETUP_LOCK]);
    return await fn();
  } finally {
    await client.query('select pg_advisory_unlock($1)', [SETUP_LOCK]).catch(() => {});
    await client.end().catch(() => {});
  }
}

function openSqlite(options: DatabaseOptions): OpenDatabase {
  const raw = options.url?.replace(/^sqlite:(\/\/)?/i, '');
  const file = raw ? resolve(options.cwd ?? process.cwd(), raw) : resolve(options.dataDir, 'upload.db');
  mkdirSync(dirname(file), { recursive: true });
  const sqlite = new BetterSqlite3(file);
  // WAL lets readers run beside the one writer; the busy timeout makes writers wait instead of failing.
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('synchronous = NORMAL');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: reusingStatements(sqlite) }) });
  const dataVersion = sqlite.prepare('pragma data_version').pluck();
  return {
    db,
    dialect: 'sqlite',
    describe: `sqlite:${file}`,
    dataVersion: () => dataVersion.get() as number,
    close: () => db.destroy(),
  };
}

/** How many distinct SQL texts keep their prepared statement (list queries vary with their filters). */
const STATEMENT_CACHE_SIZE = 256;

/**
 * kysely prepares every query it runs; the same SQL text (an upload's insert, a lookup by id) reuses its prepared
 * statement instead. better-sqlite3 runs a statement to completion before returning, so sharing one is safe.
 */
function reusingStatements(sqlite: BetterSqlite3.Database): SqliteDatabase {
  const statements = new Map<string, BetterSqlite3.Statement>();
  return {
    close: () => sqlite.close(),
    prepare: (text) => {
      let statement = statements.get(text);
      if (statement === undefined) {
        statement = sqlite.prepare(text);
        if (statements.size < STATEMENT_CACHE_SIZE) statements.set(text, statement);
      }
      return statement;
    },
  };
}

const INT8 = 20;
const NUMERIC = 1700;

async function openPostgres(url: string, schema: string | undefined, poolSize: number): Promise<OpenDatabase> {
  if (schema) {
    // Create the schema on a short-lived connection before the pool pins it as the search path.
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      await client.query(`create schema if not exists "${schema}"`);
    } finally {
      await client.end().catch(() => {});
    }
  }
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    // A database that does not answer fails a request in seconds (a 503), instead of queueing it forever.
    connectionTimeoutMillis: 5_000,
    ...(schema ? { options: `-c search_path="${schema}"` } : {}),
    // Byte sizes and counts are bigint; they fit a JS number far beyond any file we accept.
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8 || oid === NUMERIC
          ? (v: string) => Number(v)
          : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
    },
  });
  // An idle connection the server dropped (restart, pg_terminate_backend) is an event, not a crash: the pool
  // discards it and opens a new one for the next query.
  pool.on('error', () => {});
  // The same for a connection in use (a transaction between two queries): its next query fails, and the pool drops
  // it on release, instead of an 'error' event no one listens to ending the process.
  pool.on('connect', (client) => client.on('error', () => {}));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  try {
    await sql`select 1`.execute(db);
  } catch (error) {
    await db.destroy().catch(() => {});
    throw error;
  }
  const safe = new URL(url);
  if (safe.password) safe.password = '***';
  return {
    db,
    dialect: 'postgres',
    describe: `${safe.toString()}${schema ? ` (schema ${schema})` : ''}`,
    close: () => db.destroy(),
  };
}
