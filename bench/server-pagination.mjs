// Benchmark (not a test): what a page of GET /api/upload/files/page costs deep in a 100,000-row `files` table,
// through upload-server's own `applyListQuery`, on the schema its migrations create (with their indexes).
// For each database, sort and paging strategy it reports the median time of page 1, page 2000 and the last page,
// and their ratios against page 1 measured in the same run:
//   - `offset`:   SELECT * … ORDER BY … LIMIT 25 OFFSET n (reads every skipped row);
//   - `deferred`: SELECT * … WHERE id IN (SELECT id … ORDER BY … LIMIT 25 OFFSET n) (skips over the index only);
//   - `from-end`: `deferred`, knowing the total (as runListQuery does after its count), so a page in the back half
//     is read from the end in reverse and skips total - n rows instead of n (what the server does).
// "rows" is the page query alone; "+count" adds the count(*) the endpoint runs by default (withCount=true).
// PostgreSQL is measured twice: with the migration's indexes, then with (column, id) indexes for the sorted columns
// (SQLite's indexes hold the rowid already, so there they would change nothing).
// Run: pnpm --filter upload-server... build, then pnpm --filter upload-provider-bench bench:pagination
// Options (environment): BENCH_ROWS (default 100000), BENCH_RUNS (default 15), PG_TEST_URL (default
// postgres://postgres@127.0.0.1:5432/test; skipped with a line when unreachable).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fillFiles } from './files-rows.mjs';
import { explain, median, printTable } from './measure.mjs';
import { loadServer, serverRequire } from './server-modules.mjs';

const { openDatabase } = await loadServer('dist/store/db.js');
const { parseListQuery, applyListQuery, FILE_QUERY_COLUMNS } = await loadServer('dist/query/index.js');
const { sql } = serverRequire('kysely');

const ROWS = Number(process.env.BENCH_ROWS ?? 100_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const PAGE_SIZE = 25;
const LAST_PAGE = Math.ceil(ROWS / PAGE_SIZE);
const PAGES = [1, Math.min(2000, LAST_PAGE), LAST_PAGE];
const SORTS = [null, 'createdAt:desc', 'name:asc'];
const PG_URL = process.env.PG_TEST_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

async function measure(database) {
  const { db, dialect } = database;
  const results = [];
  for (const sort of SORTS) {
    for (const strategy of ['offset', 'deferred', 'from-end']) {
      const line = { sort: sort ?? 'id (default)', strategy, rows: [], count: [] };
      for (const page of PAGES) {
        const query = parseListQuery({
          pagination: { page: String(page), pageSize: String(PAGE_SIZE) },
          ...(sort ? { sort } : {}),
        });
        const options = {
          dialect,
          columns: FILE_QUERY_COLUMNS,
          maxPageSize: 100,
          deepPagination: strategy === 'offset' ? 'offset' : 'deferred',
        };
        if (strategy === 'from-end') options.total = ROWS;
        const applied = applyListQuery(db.selectFrom('files'), query, options);
        const rows = await applied.query.execute();
        if (rows.length !== (page === LAST_PAGE ? ROWS - (LAST_PAGE - 1) * PAGE_SIZE : PAGE_SIZE)) {
          throw new Error(`page ${page} returned ${rows.length} rows`);
        }
        line.rows.push(await median(() => applied.query.execute(), RUNS));
        line.count.push(
          await median(() => Promise.all([applied.query.execute(), applied.countQuery.executeTakeFirst()]), RUNS),
        );
      }
      results.push(line);
    }
  }
  return results;
}

function report(label, results) {
  console.log(`\n${label}: ${ROWS} rows, page size ${PAGE_SIZE}, median of ${RUNS} runs (ms); ratio = page N / page 1`);
  const head = [
    'sort',
    'strategy',
    'what',
    ...PAGES.map((p) => `page ${p}`),
    ...PAGES.slice(1).map((p) => `ratio ${p}`),
  ];
  const lines = [head];
  for (const r of results) {
    for (const [what, times] of [
      ['rows', r.rows],
      ['+count', r.count],
    ]) {
      lines.push([
        r.sort,
        r.strategy,
        what,
        ...times.map((t) => t.toFixed(3)),
        ...times.slice(1).map((t) => `${(t / times[0]).toFixed(1)}x`),
      ]);
    }
  }
  printTable(lines);
}

async function plan(database, strategy, sort) {
  const query = parseListQuery({
    pagination: { page: String(PAGES[1]), pageSize: String(PAGE_SIZE) },
    ...(sort ? { sort } : {}),
  });
  const { query: builder } = applyListQuery(database.db.selectFrom('files'), query, {
    dialect: database.dialect,
    columns: FILE_QUERY_COLUMNS,
    deepPagination: strategy,
  });
  return explain(database, builder.compile());
}

const dir = await mkdtemp(join(tmpdir(), 'bench-pagination-'));
try {
  const sqlite = await openDatabase({ url: join(dir, 'bench.db'), dataDir: dir });
  let start = performance.now();
  await fillFiles(sqlite.db, ROWS);
  console.log(`SQLite: inserted ${ROWS} rows in ${((performance.now() - start) / 1000).toFixed(1)} s`);
  await sql`ANALYZE`.execute(sqlite.db);
  report('SQLite', await measure(sqlite));
  for (const sort of SORTS) {
    for (const strategy of ['offset', 'deferred']) {
      console.log(`plan sqlite ${sort ?? 'id'} ${strategy}: ${await plan(sqlite, strategy, sort)}`);
    }
  }
  await sqlite.close();

  const schema = `bench_pagination_${process.pid}`;
  let postgres;
  try {
    postgres = await openDatabase({ url: PG_URL, schema, dataDir: dir });
  } catch (error) {
    console.log(`\nPostgreSQL skipped: ${PG_URL} is unreachable (${error.message})`);
  }
  if (postgres) {
    try {
      start = performance.now();
      await fillFiles(postgres.db, ROWS);
      console.log(`\nPostgreSQL: inserted ${ROWS} rows in ${((performance.now() - start) / 1000).toFixed(1)} s`);
      // What autovacuum does on its own after this many inserts; index-only scans rely on the visibility map.
      await sql`VACUUM ANALYZE files`.execute(postgres.db);
      report('PostgreSQL, migration indexes', await measure(postgres));
      for (const sort of SORTS) {
        for (const strategy of ['offset', 'deferred']) {
          console.log(`plan postgres ${sort ?? 'id'} ${strategy}: ${await plan(postgres, strategy, sort)}`);
        }
      }
      await sql`CREATE INDEX bench_name_id ON files (name, id)`.execute(postgres.db);
      await sql`ANALYZE files`.execute(postgres.db);
      report('PostgreSQL, with an index on (name, id)', await measure(postgres));
      console.log(`plan postgres name deferred: ${await plan(postgres, 'deferred', 'name:asc')}`);
    } finally {
      await postgres.db.schema.dropSchema(schema).ifExists().cascade().execute();
      await postgres.close();
    }
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
