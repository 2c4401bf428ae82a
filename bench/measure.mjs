// Helpers the database benchmarks share: a median of timed runs, an aligned table, and a query's plan.
import { performance } from 'node:perf_hooks';
import { serverRequire } from './server-modules.mjs';

const { sql } = serverRequire('kysely');

/** The median time in ms of `runs` calls of `run`, after one call to warm caches and prepared statements. */
export async function median(run, runs) {
  await run();
  const times = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await run();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

/** Prints rows of cells as columns padded to their widest cell; the first row is the header. */
export function printTable(lines) {
  const widths = lines[0].map((_, i) => Math.max(...lines.map((l) => String(l[i]).length)));
  for (const l of lines) console.log(l.map((cell, i) => String(cell).padEnd(widths[i])).join('  '));
}

/** The plan of a compiled kysely query, one line (`EXPLAIN QUERY PLAN` on SQLite, `EXPLAIN` on PostgreSQL). */
export async function explain(database, compiled) {
  const statement =
    database.dialect === 'sqlite'
      ? sql`EXPLAIN QUERY PLAN ${sql.raw(compiled.sql)}`
      : sql`EXPLAIN ${sql.raw(compiled.sql)}`;
  const rows = await database.db.executeQuery({ ...statement.compile(database.db), parameters: compiled.parameters });
  return rows.rows.map((r) => (r.detail ?? r['QUERY PLAN']).trim()).join(' | ');
}
