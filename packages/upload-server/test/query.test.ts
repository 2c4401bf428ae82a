import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { Kysely } from 'kysely';
import pg from 'pg';
import qs from 'qs';
import {
  applyListQuery,
  FILE_QUERY_COLUMNS,
  type ListQueryOptions,
  parseListQuery,
  QueryError,
  runListQuery,
} from '../src/query/index.js';
import { type OpenDatabase, openDatabase } from '../src/store/db.js';
import type { Database, Dialect } from '../src/store/schema.js';
import { dropSchema } from './helpers/pg.js';

const PG_URL = process.env.PG_TEST_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `query_test_${process.pid}_${Date.now()}`;
const dir = mkdtempSync(join(tmpdir(), 'query-test-'));
const databases: OpenDatabase[] = [];

async function postgresReachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    return true;
  } catch (error) {
    if (process.env.CI) throw new Error(`PostgreSQL at ${PG_URL} is required in CI`, { cause: error });
    console.log(`SKIPPING the PostgreSQL half of query tests: ${PG_URL} is unreachable (${String(error)})`);
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

interface Fixture {
  name: string;
  caption: string | null;
  width: number | null;
  mime: string;
  size: number;
  created_at: string;
}

// Names chosen to catch case folding, LIKE wildcards in user input, and Unicode.
const FIXTURES: Fixture[] = [
  {
    name: 'Cat.png',
    caption: 'A cat',
    width: 640,
    mime: 'image/png',
    size: 12.5,
    created_at: '2024-01-01T00:00:00.000Z',
  },
  {
    name: 'cat-small.png',
    caption: null,
    width: 120,
    mime: 'image/png',
    size: 1.25,
    created_at: '2024-01-02T00:00:00.000Z',
  },
  {
    name: 'dog.jpg',
    caption: 'A dog',
    width: 1024,
    mime: 'image/jpeg',
    size: 80,
    created_at: '2024-01-03T00:00:00.000Z',
  },
  {
    name: '100%_real.txt',
    caption: null,
    width: null,
    mime: 'text/plain',
    size: 0.01,
    created_at: '2024-01-04T00:00:00.000Z',
  },
  {
    name: '100x_real.txt',
    caption: 'x',
    width: null,
    mime: 'text/plain',
    size: 0.02,
    created_at: '2024-01-05T00:00:00.000Z',
  },
  {
    name: 'report_2024.pdf',
    caption: 'Q1',
    width: null,
    mime: 'application/pdf',
    size: 300,
    created_at: '2024-02-01T00:00:00.000Z',
  },
  {
    name: 'report-2024.pdf',
    caption: 'Q2',
    width: null,
    mime: 'application/pdf',
    size: 310,
    created_at: '2024-02-02T00:00:00.000Z',
  },
  { name: 'ÉTÉ.jpg', caption: 'été', width: 800, mime: 'image/jpeg', size: 60, created_at: '2024-03-01T00:00:00.000Z' },
  {
    name: 'star*[1]?.gif',
    caption: null,
    width: 32,
    mime: 'image/gif',
    size: 2,
    created_at: '2024-03-02T00:00:00.000Z',
  },
  {
    name: 'back\\slash.txt',
    caption: null,
    width: null,
    mime: 'text/plain',
    size: 0.5,
    created_at: '2024-03-03T00:00:00.000Z',
  },
];

async function seed(db: Kysely<Database>): Promise<void> {
  await db
    .insertInto('files')
    .values(
      FIXTURES.map((f, i) => ({
        document_id: `doc${String(i).padStart(3, '0')}`,
        name: f.name,
        alternative_text: null,
        caption: f.caption,
        width: f.width,
        height: f.width === null ? null : Math.round(f.width / 2),
        formats: null,
        hash: `hash${i}`,
        ext: f.name.slice(f.name.lastIndexOf('.')),
        mime: f.mime,
        size: f.size,
        size_in_bytes: Math.round(f.size * 1000),
        url: `/uploads/${i}`,
        preview_url: null,
        provider: 'local',
        provider_metadata: null,
        folder_path: '/',
        object_key: `k${i}`,
        secret_hash: null,
        created_at: f.created_at,
        updated_at: f.created_at,
      })),
    )
    .execute();
}

beforeAll(async () => {
  const sqlite = await openDatabase({ url: join(dir, 'query.db'), dataDir: dir });
  databases.push(sqlite);
  await seed(sqlite.db);
  if (await postgresReachable()) {
    const postgres = await openDatabase({ url: PG_URL, schema, dataDir: dir });
    databases.push(postgres);
    await seed(postgres.db);
  }
});

afterAll(async () => {
  for (const database of databases) await database.close();
  if (databases.some((d) => d.dialect === 'postgres')) {
    await dropSchema(schema, PG_URL);
  }
  rmSync(dir, { recursive: true, force: true });
});

function options(dialect: Dialect, extra: Partial<ListQueryOptions> = {}): ListQueryOptions {
  return { dialect, columns: FILE_QUERY_COLUMNS, maxPageSize: 100, ...extra };
}

/** Runs the same query on every database and checks they agree; returns the names in order and the meta. */
async function list(query: unknown, extra: Partial<ListQueryOptions> = {}) {
  const results: Array<{ dialect: Dialect; names: string[]; pagination: unknown }> = [];
  for (const { db, dialect } of databases) {
    const parsed = parseListQuery(typeof query === 'string' ? qs.parse(query) : query);
    const { rows, pagination } = await runListQuery(db.selectFrom('files'), parsed, options(dialect, extra));
    results.push({ dialect, names: rows.map((row) => String(row.name)), pagination });
  }
  for (const result of results.slice(1)) {
    expect({ dialect: result.dialect, names: result.names, pagination: result.pagination }).toEqual({
      dialect: result.dialect,
      names: results[0]!.names,
      pagination: results[0]!.pagination,
    });
  }
  return results[0]!;
}

async function names(query: unknown, extra?: Partial<ListQueryOptions>): Promise<string[]> {
  return (await list(query, { paginate: false, ...extra })).names;
}

async function badRequest(query: unknown): Promise<QueryError> {
  let error: unknown;
  try {
    for (const { db, dialect } of databases) {
      applyListQuery(
        db.selectFrom('files'),
        parseListQuery(typeof query === 'string' ? qs.parse(query) : query),
        options(dialect),
      );
    }
  } catch (caught) {
    error = caught;
  }
  expect(error).toBeInstanceOf(QueryError);
  expect((error as QueryError).status).toBe(400);
  return error as QueryError;
}

describe('filters, on SQLite and PostgreSQL', () => {
  test('implicit $eq and explicit $eq, $ne', async () => {
    expect(await names({ filters: { name: 'dog.jpg' } })).toEqual(['dog.jpg']);
    expect(await names({ filters: { name: { $eq: 'dog.jpg' } } })).toEqual(['dog.jpg']);
    expect(await names({ filters: { mime: { $ne: 'image/png' } }, sort: 'id' })).toHaveLength(8);
  });

  test('$eqi and $nei ignore case', async () => {
    expect(await names({ filters: { name: { $eqi: 'CAT.PNG' } } })).toEqual(['Cat.png']);
    expect(await names({ filters: { name: { $nei: 'CAT.PNG' } } })).toHaveLength(9);
  });

  test('$in and $notIn, with lists as qs builds them (also past its 20-item array limit)', async () => {
    expect(await names('filters[mime][$in][0]=image/gif&filters[mime][$in][1]=application/pdf')).toEqual([
      'report_2024.pdf',
      'report-2024.pdf',
      'star*[1]?.gif',
    ]);
    expect(await names('filters[mime][$in][25]=image/gif&filters[mime][$in][40]=text/html')).toEqual(['star*[1]?.gif']);
    expect(await names({ filters: { width: { $notIn: ['640', '120'] } } })).toEqual([
      'dog.jpg',
      'ÉTÉ.jpg',
      'star*[1]?.gif',
    ]);
    expect(await names({ filters: { mime: ['image/gif'] } })).toEqual(['star*[1]?.gif']);
  });

  test('comparisons coerce values to the column type', async () => {
    // As text, "1000" < "120" would hold; as integers it does not.
    expect(await names({ filters: { width: { $gt: '640' } } })).toEqual(['dog.jpg', 'ÉTÉ.jpg']);
    expect(await names({ filters: { width: { $gte: '640', $lt: '1000' } } })).toEqual(['Cat.png', 'ÉTÉ.jpg']);
    expect(await names({ filters: { size: { $lte: '0.02' } } })).toEqual(['100%_real.txt', '100x_real.txt']);
    expect(await names({ filters: { createdAt: { $gte: '2024-03-01' } } })).toEqual([
      'ÉTÉ.jpg',
      'star*[1]?.gif',
      'back\\slash.txt',
    ]);
    expect(await names({ filters: { createdAt: { $lt: '2024-01-02T00:00:00Z' } } })).toEqual(['Cat.png']);
  });

  test('$between, $null, $notNull', async () => {
    expect(await names({ filters: { width: { $between: ['100', '700'] } } })).toEqual(['Cat.png', 'cat-small.png']);
    expect(await names({ filters: { caption: { $null: 'true' } } })).toHaveLength(4);
    expect(await names({ filters: { caption: { $notNull: true } } })).toHaveLength(6);
    expect(await names({ filters: { caption: { $null: 'false' } } })).toHaveLength(6);
  });

  test('$contains is case-sensitive, $containsi is not, in both dialects', async () => {
    expect(await names({ filters: { name: { $contains: 'cat' } } })).toEqual(['cat-small.png']);
    expect(await names({ filters: { name: { $contains: 'Cat' } } })).toEqual(['Cat.png']);
    expect(await names({ filters: { name: { $containsi: 'CAT' } } })).toEqual(['Cat.png', 'cat-small.png']);
    expect(await names({ filters: { name: { $notContains: 'cat' } } })).toHaveLength(9);
    expect(await names({ filters: { name: { $notContainsi: 'cat' } } })).toHaveLength(8);
    expect(await names({ filters: { name: { $startsWith: 'report' } } })).toEqual([
      'report_2024.pdf',
      'report-2024.pdf',
    ]);
    expect(await names({ filters: { name: { $startsWith: 'Report' } } })).toEqual([]);
    expect(await names({ filters: { name: { $startsWithi: 'REPORT' } } })).toHaveLength(2);
    expect(await names({ filters: { name: { $endsWith: '.PNG' } } })).toEqual([]);
    expect(await names({ filters: { name: { $endsWithi: '.PNG' } } })).toEqual(['Cat.png', 'cat-small.png']);
  });

  test('LIKE and GLOB wildcards in user input match only themselves', async () => {
    expect(await names({ filters: { name: { $contains: '%' } } })).toEqual(['100%_real.txt']);
    expect(await names({ filters: { name: { $containsi: '%_' } } })).toEqual(['100%_real.txt']);
    expect(await names({ filters: { name: { $contains: '_' } } })).toEqual([
      '100%_real.txt',
      '100x_real.txt',
      'report_2024.pdf',
    ]);
    expect(await names({ filters: { name: { $startsWith: 'report_' } } })).toEqual(['report_2024.pdf']);
    expect(await names({ filters: { name: { $contains: '*[1]?' } } })).toEqual(['star*[1]?.gif']);
    expect(await names({ filters: { name: { $containsi: '\\' } } })).toEqual(['back\\slash.txt']);
    expect(await names({ filters: { name: { $contains: '?' } } })).toEqual(['star*[1]?.gif']);
  });

  test('Unicode: exact matches work everywhere', async () => {
    expect(await names({ filters: { caption: { $eq: 'été' } } })).toEqual(['ÉTÉ.jpg']);
    expect(await names({ filters: { name: { $contains: 'ÉT' } } })).toEqual(['ÉTÉ.jpg']);
  });

  test('$and, $or, $not, nested, and $not on a field', async () => {
    expect(
      await names({
        filters: {
          $or: [{ mime: 'application/pdf' }, { $and: [{ mime: { $startsWith: 'image/' } }, { width: { $gt: 700 } }] }],
        },
      }),
    ).toEqual(['dog.jpg', 'report_2024.pdf', 'report-2024.pdf', 'ÉTÉ.jpg']);
    expect(await names({ filters: { $not: { mime: { $startsWith: 'image/' } } } })).toEqual([
      '100%_real.txt',
      '100x_real.txt',
      'report_2024.pdf',
      'report-2024.pdf',
      'back\\slash.txt',
    ]);
    expect(await names({ filters: { name: { $not: { $contains: 'a' } } } })).toEqual([
      'dog.jpg',
      'report_2024.pdf',
      'report-2024.pdf',
      'ÉTÉ.jpg',
    ]);
    expect(await names({ filters: { name: { $or: [{ $eq: 'dog.jpg' }, { $eq: 'Cat.png' }] } } })).toEqual([
      'Cat.png',
      'dog.jpg',
    ]);
  });
});

describe('sort, fields and pagination, on SQLite and PostgreSQL', () => {
  test('sort by one field, descending, several fields, arrays and objects', async () => {
    expect((await names({ sort: 'width:desc', filters: { width: { $notNull: true } } }))[0]).toBe('dog.jpg');
    expect(await names({ sort: ['mime:asc', 'size:desc'], filters: { mime: { $startsWith: 'image/' } } })).toEqual([
      'star*[1]?.gif',
      'dog.jpg',
      'ÉTÉ.jpg',
      'Cat.png',
      'cat-small.png',
    ]);
    expect(await names('sort[0]=mime:DESC&sort[1]=name&filters[mime][$startsWith]=text')).toEqual([
      '100%_real.txt',
      '100x_real.txt',
      'back\\slash.txt',
    ]);
    expect(await names({ sort: { size: 'desc' }, filters: { mime: 'application/pdf' } })).toEqual([
      'report-2024.pdf',
      'report_2024.pdf',
    ]);
    expect(await names({ sort: 'mime:asc,createdAt:desc', filters: { mime: 'text/plain' } })).toEqual([
      'back\\slash.txt',
      '100x_real.txt',
      '100%_real.txt',
    ]);
  });

  test('sorting a nullable field puts NULLs in the same place in both dialects', async () => {
    const ascending = await names({ sort: 'caption:asc' });
    expect(ascending.slice(0, 4)).toEqual(['cat-small.png', '100%_real.txt', 'star*[1]?.gif', 'back\\slash.txt']);
    const descending = await names({ sort: 'caption:desc' });
    // Ties are broken by the id in the sort's own direction.
    expect(descending.slice(-4)).toEqual(['back\\slash.txt', 'star*[1]?.gif', '100%_real.txt', 'cat-small.png']);
  });

  test('fields narrows the selection and always keeps id and documentId', async () => {
    for (const { db, dialect } of databases) {
      const parsed = parseListQuery(qs.parse('fields[0]=name&fields[1]=mime&filters[name]=dog.jpg'));
      const { rows } = await runListQuery(db.selectFrom('files'), parsed, options(dialect));
      expect(rows).toEqual([{ id: 3, document_id: 'doc002', name: 'dog.jpg', mime: 'image/jpeg' }]);
      const all = await runListQuery(
        db.selectFrom('files'),
        parseListQuery({ fields: '*', filters: { id: 3 } }),
        options(dialect),
      );
      expect(Object.keys(all.rows[0]!)).toContain('object_key');
    }
  });

  test('page-based pagination with count, the default page size and the cap', async () => {
    const first = await list('pagination[page]=1&pagination[pageSize]=3&sort=id');
    expect(first.names).toEqual(['Cat.png', 'cat-small.png', 'dog.jpg']);
    expect(first.pagination).toEqual({ page: 1, pageSize: 3, pageCount: 4, total: 10 });
    const last = await list('pagination[page]=4&pagination[pageSize]=3&sort=id');
    expect(last.names).toEqual(['back\\slash.txt']);
    const past = await list('pagination[page]=9&pagination[pageSize]=3');
    expect(past.names).toEqual([]);
    expect(past.pagination).toEqual({ page: 9, pageSize: 3, pageCount: 4, total: 10 });
    expect((await list({})).pagination).toEqual({ page: 1, pageSize: 25, pageCount: 1, total: 10 });
    expect((await list('pagination[pageSize]=500', { maxPageSize: 4 })).pagination).toEqual({
      page: 1,
      pageSize: 4,
      pageCount: 3,
      total: 10,
    });
  });

  test('offset-based pagination, withCount=false, limit=-1', async () => {
    const page = await list('pagination[start]=2&pagination[limit]=2&sort=id');
    expect(page.names).toEqual(['dog.jpg', '100%_real.txt']);
    expect(page.pagination).toEqual({ start: 2, limit: 2, total: 10 });
    const uncounted = await list('pagination[page]=2&pagination[pageSize]=2&pagination[withCount]=false&sort=id');
    expect(uncounted.names).toEqual(['dog.jpg', '100%_real.txt']);
    expect(uncounted.pagination).toEqual({ page: 2, pageSize: 2 });
    const all = await list('pagination[limit]=-1', { maxPageSize: 6 });
    expect(all.names).toHaveLength(6);
  });

  test('deferred (read from the end for the back half) and plain OFFSET paging return the same pages', async () => {
    for (const sort of [
      'id',
      'name:desc',
      'caption',
      'caption:desc',
      'createdAt:desc',
      'width:asc',
      'mime,size:desc',
    ]) {
      for (let page = 1; page <= 4; page++) {
        const query = { sort, pagination: { page, pageSize: 3 }, filters: { size: { $gt: 0 } } };
        const deferred = await list(query, { deepPagination: 'deferred' });
        const offset = await list(query, { deepPagination: 'offset' });
        expect(deferred).toEqual(offset);
      }
    }
  });

  test('every row appears exactly once across pages of a sort with ties', async () => {
    const seen: string[] = [];
    for (let page = 1; page <= 5; page++)
      seen.push(...(await list({ sort: 'mime', pagination: { page, pageSize: 2 } })).names);
    expect(seen.sort()).toEqual(FIXTURES.map((f) => f.name).sort());
  });
});

describe('query strings as real clients send them', () => {
  test('qs.stringify output (as @strapi/client sends it), percent-encoded, parses and runs', async () => {
    const query = qs.stringify(
      {
        filters: { $or: [{ name: { $containsi: 'cat' } }, { mime: { $eq: 'image/jpeg' } }] },
        sort: ['name:asc'],
        fields: ['name', 'url'],
        pagination: { page: 1, pageSize: 10, withCount: true },
      },
      { encodeValuesOnly: false },
    );
    expect(query).toContain('filters%5B%24or%5D%5B0%5D%5Bname%5D%5B%24containsi%5D=cat');
    const result = await list(query);
    expect(result.names).toEqual(['Cat.png', 'cat-small.png', 'dog.jpg', 'ÉTÉ.jpg']);
    expect(result.pagination).toEqual({ page: 1, pageSize: 10, pageCount: 1, total: 4 });
  });

  test('deeply nested logic, as qs parses it at the server depth of 10', async () => {
    const query = qs.stringify({
      filters: {
        $and: [
          { $or: [{ name: { $endsWithi: '.PNG' } }, { name: { $startsWith: 'dog' } }] },
          { $not: { $or: [{ width: { $lt: 200 } }, { caption: { $null: true } }] } },
        ],
      },
    });
    expect(await names(qs.parse(query, { depth: 10 }))).toEqual(['Cat.png', 'dog.jpg']);
  });

  test('the encodeValuesOnly form and values with reserved characters', async () => {
    const query = qs.stringify({ filters: { name: { $eq: '100%_real.txt' } } }, { encodeValuesOnly: true });
    expect(query).toBe('filters[name][$eq]=100%25_real.txt');
    expect(await names(query)).toEqual(['100%_real.txt']);
    expect(await names('filters%5Bname%5D%5B%24contains%5D=%C3%89T')).toEqual(['ÉTÉ.jpg']);
  });
});

describe('bad queries are a 400 naming the parameter', () => {
  test('unknown field, in filters, sort and fields', async () => {
    expect((await badRequest('filters[nope][$eq]=1')).message).toBe(
      `filters[nope][$eq]: unknown field "nope"; known fields: ${Object.keys(FILE_QUERY_COLUMNS).join(', ')}`,
    );
    expect((await badRequest('sort=nope:asc')).param).toBe('sort');
    expect((await badRequest('sort[0]=name&sort[1]=nope')).param).toBe('sort[1]');
    expect((await badRequest('fields[0]=name&fields[1]=secretHash')).param).toBe('fields[1]');
  });

  test('columns that are not part of the API cannot be queried', async () => {
    expect((await badRequest('filters[secret_hash][$eq]=x')).message).toContain('unknown field "secret_hash"');
    expect((await badRequest('filters[object_key][$startsWith]=a')).message).toContain('unknown field');
    expect((await badRequest('filters[formats][$contains]=a')).message).toContain('cannot be used to filter');
  });

  test('unknown operators', async () => {
    const error = await badRequest('filters[name][$like]=%25');
    expect(error.param).toBe('filters[name][$like]');
    expect(error.message).toContain('unknown operator "$like"');
    expect((await badRequest('filters[$xor][0][name]=a')).param).toBe('filters[$xor]');
    expect((await badRequest('filters[$or][1][name][$regex]=a&filters[$or][0][name]=b')).param).toBe(
      'filters[$or][1][name][$regex]',
    );
  });

  test('values that do not fit', async () => {
    expect((await badRequest('filters[width][$gt]=wide')).message).toBe(
      'filters[width][$gt]: "width" is a whole number; got "wide"',
    );
    expect((await badRequest('filters[createdAt][$lt]=yesterday')).param).toBe('filters[createdAt][$lt]');
    expect((await badRequest('filters[width][$contains]=1')).message).toContain('works on text fields');
    expect((await badRequest('filters[width][$between][0]=1')).message).toContain('two values');
    expect((await badRequest('filters[caption][$null]=maybe')).param).toBe('filters[caption][$null]');
    expect((await badRequest('filters[name][$eq][a]=b')).param).toBe('filters[name][$eq]');
    expect((await badRequest('sort=name:up')).param).toBe('sort');
  });

  test('pagination: mixing, below 1, not a number, unknown keys', async () => {
    expect((await badRequest('pagination[page]=1&pagination[limit]=10')).message).toContain('cannot be mixed');
    expect((await badRequest('pagination[page]=0')).param).toBe('pagination[page]');
    expect((await badRequest('pagination[pageSize]=0')).param).toBe('pagination[pageSize]');
    expect((await badRequest('pagination[page]=-2')).param).toBe('pagination[page]');
    expect((await badRequest('pagination[pageSize]=ten')).param).toBe('pagination[pageSize]');
    expect((await badRequest('pagination[start]=-1')).param).toBe('pagination[start]');
    expect((await badRequest('pagination[limit]=0')).param).toBe('pagination[limit]');
    expect((await badRequest('pagination[withCount]=maybe')).param).toBe('pagination[withCount]');
    expect((await badRequest('pagination[size]=3')).param).toBe('pagination[size]');
  });
});

test('every value reaches the database as a bound parameter, never as SQL text', () => {
  const parsed = parseListQuery(qs.parse("filters[name][$eq]=x' OR 1=1 --&filters[caption][$containsi]=a%'"));
  for (const dialect of ['sqlite', 'postgres'] as const) {
    const database = databases[0]!;
    const compiled = applyListQuery(database.db.selectFrom('files'), parsed, options(dialect)).query.compile();
    expect(compiled.sql).not.toContain('OR 1=1');
    expect(compiled.parameters).toContain("x' OR 1=1 --");
    expect(compiled.parameters).toContain("%a\\%'%");
  }
});
