// Benchmark (not a test): the requests the media library page sends to GET /api/upload/files/page, answered by the
// real server (buildApp, through fastify's inject) over a `files` table of 100,000 rows, against the same requests
// over 1,000 rows measured in the same run (the baseline). A ratio near 1 means the request does not grow with the
// table; a large one means it reads every row. Each request runs the row query and the count(*) the page needs for
// "Page N of M". It also prints SQLite's and PostgreSQL's plan for each request's row query, to see which use an index.
// Run: pnpm --filter upload-server... build, then pnpm --filter upload-provider-bench bench:media
// Options (environment): BENCH_ROWS (default 100000), BENCH_BASE_ROWS (default 1000), BENCH_RUNS (default 15),
// PG_TEST_URL (default postgres://postgres@127.0.0.1:5432/test; skipped with a line when unreachable).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fillFiles } from './files-rows.mjs';
import { explain, median, printTable } from './measure.mjs';
import { loadServer, serverRequire } from './server-modules.mjs';

const { buildApp, parseConfig, openDatabase } = await loadServer('dist/index.js');

const { parseListQuery, applyListQuery, FILE_QUERY_COLUMNS } = await loadServer('dist/query/index.js');
const { sql } = serverRequire('kysely');
const qs = serverRequire('qs');

const ROWS = Number(process.env.BENCH_ROWS ?? 100_000);
const BASE_ROWS = Number(process.env.BENCH_BASE_ROWS ?? 1000);
const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const PG_URL = process.env.PG_TEST_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const PAGE_SIZE = 24;

// What the page's api.ts `listParams` writes for each control (search box, type select, sort select, pager).
const page = (n) => `pagination[page]=${n}&pagination[pageSize]=${PAGE_SIZE}`;
const REQUESTS = [
  ['newest first (the page opens on it)', `sort=createdAt:desc&${page(1)}`],
  ['oldest first', `sort=createdAt:asc&${page(1)}`],
  ['name A-Z', `sort=name:asc&${page(1)}`],
  ['largest first', `sort=size:desc&${page(1)}`],
  ['newest first, last page', (rows) => `sort=createdAt:desc&${page(Math.ceil(rows / PAGE_SIZE))}`],
  ['search "abc"', `filters[$and][0][name][$containsi]=abc&sort=createdAt:desc&${page(1)}`],
  ['type: images', `filters[$and][0][mime][$startsWith]=image/&sort=createdAt:desc&${page(1)}`],
  [
    'type: documents',
    `filters[$and][0][$or][0][mime][$eq]=application/pdf&filters[$and][0][$or][1][mime][$startsWith]=text/&sort=createdAt:desc&${page(1)}`,
  ],
  [
    'type: other (matches none)',
    'filters[$and][0][$not][$or][0][mime][$startsWith]=image/&filters[$and][0][$not][$or][1][mime][$startsWith]=video/' +
      '&filters[$and][0][$not][$or][2][mime][$startsWith]=audio/&filters[$and][0][$not][$or][3][mime][$eq]=application/pdf' +
      `&filters[$and][0][$not][$or][4][mime][$startsWith]=text/&sort=createdAt:desc&${page(1)}`,
  ],
  [
    'search + images',
    `filters[$and][0][name][$containsi]=abc&filters[$and][1][mime][$startsWith]=image/&sort=createdAt:desc&${page(1)}`,
  ],
];

/** Fills a database with `rows` rows, starts the server on it, and times each request. */
async function measure(label, database, rows) {
  await fillFiles(database.db, rows);
  await (database.dialect === 'sqlite' ? sql`ANALYZE` : sql`VACUUM ANALYZE files`).execute(database.db);
  const config = parseConfig({
    logLevel: 'silent',
    dataDir: database.dir,
    database: database.dialect === 'sqlite' ? { url: database.url } : { url: database.url, schema: database.schema },
  });
  const app = await buildApp(config, { logger: false });
  const times = {};
  try {
    // Warm the route and the JIT first, so the first request timed is not the process's first.
    for (let i = 0; i < 50; i++) await app.inject({ method: 'GET', url: `/api/upload/files/page?${REQUESTS[0][1]}` });
    for (const [name, query] of REQUESTS) {
      const url = `/api/upload/files/page?${typeof query === 'function' ? query(rows) : query}`;
      const check = await app.inject({ method: 'GET', url });
      if (check.statusCode !== 200) throw new Error(`${label} ${name}: ${check.statusCode} ${check.body}`);
      times[name] = await median(() => app.inject({ method: 'GET', url }), RUNS);
    }
  } finally {
    await app.close();
  }
  return times;
}

async function plans(database) {
  const lines = [];
  for (const [name, query] of REQUESTS) {
    const text = typeof query === 'function' ? query(ROWS) : query;
    const parsed = parseListQuery(qs.parse(text, { depth: 10 }));
    const { query: builder } = applyListQuery(database.db.selectFrom('files'), parsed, {
      dialect: database.dialect,
      columns: FILE_QUERY_COLUMNS,
      maxPageSize: 100,
    });
    lines.push(`  ${name}: ${await explain(database, builder.compile())}`);
  }
  return lines;
}

function report(label, base, big) {
  console.log(`\n${label}: median of ${RUNS} requests (ms), ${BASE_ROWS} rows (baseline) vs ${ROWS} rows`);
  const head = ['request', `${BASE_ROWS} rows`, `${ROWS} rows`, 'ratio'];
  const lines = [head];
  for (const [name] of REQUESTS) {
    lines.push([name, base[name].toFixed(2), big[name].toFixed(2), `${(big[name] / base[name]).toFixed(1)}x`]);
  }
  printTable(lines);
}

async function sqliteDatabase(dir, name) {
  const url = join(dir, `${name}.db`);
  const database = await openDatabase({ url, dataDir: dir });
  return { ...database, url, dir };
}

async function postgresDatabase(dir, name) {
  const schema = `bench_media_${name}_${process.pid}`;
  const database = await openDatabase({ url: PG_URL, schema, dataDir: dir });
  return { ...database, url: PG_URL, schema, dir };
}

const dir = await mkdtemp(join(tmpdir(), 'bench-media-'));
try {
  const small = await sqliteDatabase(dir, 'small');
  const big = await sqliteDatabase(dir, 'big');
  report('SQLite', await measure('SQLite', small, BASE_ROWS), await measure('SQLite', big, ROWS));
  console.log(`SQLite plans (${ROWS} rows):\n${(await plans(big)).join('\n')}`);
  await small.close();
  await big.close();

  let pg;
  try {
    pg = [await postgresDatabase(dir, 'small'), await postgresDatabase(dir, 'big')];
  } catch (error) {
    console.log(`\nPostgreSQL skipped: ${PG_URL} is unreachable (${error.message})`);
  }
  if (pg) {
    try {
      report('PostgreSQL', await measure('PostgreSQL', pg[0], BASE_ROWS), await measure('PostgreSQL', pg[1], ROWS));
      console.log(`PostgreSQL plans (${ROWS} rows):\n${(await plans(pg[1])).join('\n')}`);
    } finally {
      for (const database of pg) {
        await database.db.schema.dropSchema(database.schema).ifExists().cascade().execute();
        await database.close();
      }
    }
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
