import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { type Kysely, sql } from 'kysely';
import { type OpenDatabase, openDatabase } from '../src/store/db.js';
import { createGroupCommit } from '../src/store/group-commit.js';
import { migrateToLatest } from '../src/store/migrations.js';
import { createRepository, nowIso, type Repository } from '../src/store/repository.js';
import type { NewFileRow } from '../src/store/schema.js';
import { dropSchema, freshSchema, PG_TEST_URL } from './helpers/pg.js';
import { databases } from './helpers/server.js';

function row(name: string, extra: Partial<NewFileRow> = {}): NewFileRow {
  const now = nowIso();
  return {
    document_id: `doc${Math.random().toString(36).slice(2, 14)}`,
    name,
    alternative_text: null,
    caption: null,
    width: null,
    height: null,
    formats: null,
    hash: name,
    ext: '.txt',
    mime: 'text/plain',
    size: 1.5,
    size_in_bytes: 1500,
    url: `http://x/${name}`,
    preview_url: null,
    provider: 'p',
    provider_metadata: null,
    object_key: `${name}.txt`,
    secret_hash: null,
    created_at: now,
    updated_at: now,
    ...extra,
  };
}

// better-sqlite3's native part keeps the error class of the first test file that loaded it in a Jest worker, so
// its errors may come from another realm: match the message, not `instanceof Error`.
const uniqueViolation = { message: expect.stringMatching(/unique|duplicate/i) };

for (const kind of databases()) {
  describe(`store [${kind}]`, () => {
    let dir: string;
    let schema: string | undefined;
    let opened: OpenDatabase;
    let repo: Repository;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'upload-server-store-'));
      schema = kind === 'postgres' ? freshSchema() : undefined;
      opened = await openDatabase(
        kind === 'postgres' ? { url: PG_TEST_URL, schema: schema!, dataDir: dir } : { dataDir: dir },
      );
      repo = createRepository(opened.db, opened.dialect);
    });
    afterAll(async () => {
      await opened.close();
      if (schema) await dropSchema(schema);
      rmSync(dir, { recursive: true, force: true });
    });

    test('the default SQLite file is <dataDir>/upload.db, in WAL mode', async () => {
      if (kind !== 'sqlite') {
        expect(opened.describe).toContain(schema!);
        return;
      }
      expect(opened.describe).toBe(`sqlite:${join(dir, 'upload.db')}`);
      const { rows } = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(opened.db);
      expect(rows[0]?.journal_mode).toBe('wal');
    });

    test('migrations are idempotent: running them again applies nothing', async () => {
      expect(await migrateToLatest(opened.db as unknown as Kysely<unknown>, opened.dialect)).toEqual([]);
    });

    test('insert, find, update, delete a file; bigint sizes come back as numbers', async () => {
      const big = 5 * 1024 * 1024 * 1024;
      const inserted = await repo.insertFile(row('a', { size_in_bytes: big, size: 5368709.12 }));
      expect(typeof inserted.id).toBe('number');
      const found = await repo.findFile(inserted.id);
      expect(found).toMatchObject({ name: 'a', size_in_bytes: big, folder_path: '/' });
      expect(Math.round(Number(found!.size) * 100) / 100).toBe(5368709.12);
      const updated = await repo.updateFile(inserted.id, { caption: 'c' });
      expect(updated?.caption).toBe('c');
      expect(await repo.deleteFile(inserted.id)).toMatchObject({ id: inserted.id });
      expect(await repo.findFile(inserted.id)).toBeUndefined();
      expect(await repo.deleteFile(inserted.id)).toBeUndefined();
    });

    test('the row insertFile returns is the row stored, columns left out or undefined included', async () => {
      const { alternative_text: _a, caption: _c, folder_path: _f, ...partial } = row('r1');
      for (const given of [partial, { ...partial, document_id: 'r2-doc', caption: undefined, width: 7 }]) {
        const inserted = await repo.insertFile(given);
        expect(inserted).toEqual(await repo.findFile(inserted.id));
        expect(inserted).toMatchObject({ alternative_text: null, caption: null, folder_path: '/' });
      }
    });

    test('document ids and secret hashes are unique', async () => {
      const a = await repo.insertFile(row('u1', { document_id: 'same-doc', secret_hash: 'f'.repeat(64) }));
      await expect(repo.insertFile(row('u2', { document_id: 'same-doc' }))).rejects.toMatchObject(uniqueViolation);
      await expect(repo.insertFile(row('u3', { secret_hash: 'f'.repeat(64) }))).rejects.toMatchObject(uniqueViolation);
      expect((await repo.findFileBySecretHash('f'.repeat(64)))?.id).toBe(a.id);
    });

    test('links: positions in order, a single field keeps one file, links go with their file', async () => {
      const single = (l: { field: string }) => l.field === 'cover';
      const link = { ref: 'api::a.a', refId: '1', field: 'gallery' };
      const f1 = await repo.insertFile(row('l1'), [link]);
      const f2 = await repo.insertFile(row('l2'), [link]);
      const links = await repo.linksOf([f1.id, f2.id]);
      expect(links.get(f1.id)?.[0]).toMatchObject({ ref: 'api::a.a', ref_id: '1', field: 'gallery', position: 0 });
      expect(links.get(f2.id)?.[0]?.position).toBe(1);
      const cover = { ref: 'api::a.a', refId: '1', field: 'cover' };
      const c1 = await repo.insertFile(row('c1'), [cover], single);
      const c2 = await repo.insertFile(row('c2'), [cover], single);
      const coverLinks = await repo.linksOf([c1.id, c2.id]);
      expect(coverLinks.get(c1.id)).toBeUndefined();
      expect(coverLinks.get(c2.id)).toHaveLength(1);
      await repo.deleteFile(f1.id);
      expect((await repo.linksOf([f1.id])).size).toBe(0);
    });

    test('a failed insert inside a transaction leaves no row', async () => {
      const before = await opened.db.selectFrom('files').select(opened.db.fn.countAll().as('n')).executeTakeFirst();
      await expect(
        repo.transaction(async (tx) => {
          await tx.insertFile(row('t1'));
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      const after = await opened.db.selectFrom('files').select(opened.db.fn.countAll().as('n')).executeTakeFirst();
      expect(Number(after?.n)).toBe(Number(before?.n));
    });

    test('no index on files repeats another (each is written on every upload)', async () => {
      const indexes: Array<{ name: string; unique: boolean; columns: string[] }> = [];
      if (kind === 'postgres') {
        const { rows } = await sql<{ name: string; unique: boolean; columns: string[] }>`
          select i.relname as name, ix.indisunique as unique, array_agg(a.attname::text order by k.ord) as columns
          from pg_index ix
          join pg_class i on i.oid = ix.indexrelid
          join pg_class t on t.oid = ix.indrelid
          join pg_namespace n on n.oid = t.relnamespace
          cross join lateral unnest(ix.indkey) with ordinality as k(attnum, ord)
          join pg_attribute a on a.attrelid = t.oid and a.attnum = k.attnum
          where t.relname = 'files' and n.nspname = ${schema!}
          group by i.relname, ix.indisunique`.execute(opened.db);
        indexes.push(...rows);
      } else {
        const list = await sql<{ name: string; unique: number }>`pragma index_list('files')`.execute(opened.db);
        for (const index of list.rows) {
          const info = await sql<{ name: string }>`select name from pragma_index_info(${index.name})`.execute(
            opened.db,
          );
          // Every SQLite index ends with the rowid (here `id`), named or not.
          const columns = info.rows.map((r) => r.name);
          indexes.push({
            name: index.name,
            unique: index.unique === 1,
            columns: [...columns.filter((c) => c !== 'id'), 'id'],
          });
        }
      }
      const isPrefix = (a: string[], b: string[]) => a.length <= b.length && a.every((c, i) => b[i] === c);
      const repeated = indexes
        .filter((a) => !a.unique && indexes.some((b) => b !== a && isPrefix(a.columns, b.columns)))
        .map((a) => a.name);
      expect(indexes.length).toBeGreaterThan(5);
      expect(repeated).toEqual([]);
    });

    test('transactions asked for together (one commit on SQLite): each keeps or undoes only its own writes', async () => {
      const names = ['g1', 'g2', 'g3', 'g4', 'g5'];
      const taken = row('g0');
      await repo.insertFile(taken);
      const results = await Promise.allSettled([
        repo.transaction((tx) => tx.insertFile(row('g1'))),
        repo.transaction(async (tx) => {
          await tx.insertFile(row('g2'));
          throw new Error('g2 gives up');
        }),
        repo.transaction((tx) => tx.insertFile(row('g3'))),
        repo.transaction(async (tx) => {
          await tx.insertFile(row('g4'));
          // A statement the database refuses, after one it took: the whole transaction goes, not only the statement.
          return tx.insertFile(row('g5', { document_id: taken.document_id }));
        }),
      ]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'rejected']);
      expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ message: 'g2 gives up' });
      expect((results[3] as PromiseRejectedResult).reason).toMatchObject(uniqueViolation);
      const kept = await opened.db.selectFrom('files').select('name').where('name', 'in', names).execute();
      expect(kept.map((r) => r.name).sort()).toEqual(['g1', 'g3']);
    });

    test('tokens: created hashed, found by hash, names unique, counted', async () => {
      expect(await repo.hasTokens()).toBe(false);
      const t = await repo.createToken({ name: 'ci', tokenHash: 'a'.repeat(64), access: 'read-only' });
      expect(t).toMatchObject({ name: 'ci', access: 'read-only', last_used_at: null });
      await expect(
        repo.createToken({ name: 'ci', tokenHash: 'b'.repeat(64), access: 'full-access' }),
      ).rejects.toMatchObject(uniqueViolation);
      expect((await repo.findTokenByHash('a'.repeat(64)))?.name).toBe('ci');
      expect(await repo.findTokenByHash('c'.repeat(64))).toBeUndefined();
      await repo.touchToken(t.id, nowIso());
      expect((await repo.findTokenByHash('a'.repeat(64)))?.last_used_at).not.toBeNull();
      expect(await repo.hasTokens()).toBe(true);
    });
  });
}

describe('group commit (SQLite)', () => {
  test('when the shared commit fails, every transaction of the group fails with its error and none is kept', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'upload-server-group-'));
    const opened = await openDatabase({ dataDir: dir });
    try {
      const grouped = createGroupCommit(opened.db);
      const results = await Promise.allSettled([
        grouped((tx) => tx.insertInto('files').values(row('c1')).execute()),
        grouped(async (tx) => {
          // A foreign key checked at commit time: this transaction's own statements succeed, the commit does not.
          await sql`pragma defer_foreign_keys = on`.execute(tx);
          await tx
            .insertInto('file_links')
            .values({ file_id: 999_999, ref: 'r', ref_id: '1', field: 'f', position: 0 })
            .execute();
        }),
        grouped((tx) => tx.insertInto('files').values(row('c3')).execute()),
      ]);
      expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
      for (const r of results)
        expect((r as PromiseRejectedResult).reason).toMatchObject({ message: expect.stringMatching(/FOREIGN KEY/) });
      const kept = await opened.db.selectFrom('files').select('name').where('name', 'in', ['c1', 'c3']).execute();
      expect(kept).toEqual([]);
      // The connection is usable again: the failed group was rolled back, not left open.
      await expect(grouped((tx) => tx.insertInto('files').values(row('c4')).execute())).resolves.toBeDefined();
      expect(await opened.db.selectFrom('files').select('name').where('name', '=', 'c4').execute()).toHaveLength(1);
    } finally {
      await opened.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('whether tokens exist (SQLite keeps the answer until the database changes)', () => {
  test('a token another connection creates (upload-server token create) is seen at once; one made here too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'upload-server-tokens-'));
    const server = await openDatabase({ dataDir: dir });
    const cli = await openDatabase({ dataDir: dir });
    try {
      const repo = createRepository(server.db, server.dialect, { dataVersion: server.dataVersion });
      expect(await repo.hasTokens()).toBe(false);
      expect(await repo.hasTokens()).toBe(false); // the kept answer
      await createRepository(cli.db, cli.dialect).createToken({
        name: 'ci',
        tokenHash: 'a'.repeat(64),
        access: 'read-only',
      });
      expect(await repo.hasTokens()).toBe(true);
      await cli.db.deleteFrom('api_tokens').execute();
      expect(await repo.hasTokens()).toBe(false);
      await repo.createToken({ name: 'here', tokenHash: 'b'.repeat(64), access: 'read-only' });
      expect(await repo.hasTokens()).toBe(true);
      await cli.db.deleteFrom('api_tokens').execute();
      expect(await repo.hasTokens()).toBe(false);
      // Created in one of this connection's transactions: SQLite's data_version does not move for it.
      await repo.transaction((tx) => tx.createToken({ name: 'in-tx', tokenHash: 'c'.repeat(64), access: 'read-only' }));
      expect(await repo.hasTokens()).toBe(true);
    } finally {
      await cli.close();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('store errors', () => {
  test('an unreachable PostgreSQL fails fast with its error (and leaves no pool open)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'upload-server-store-'));
    try {
      await expect(openDatabase({ url: 'postgres://postgres@127.0.0.1:1/none', dataDir: dir })).rejects.toThrow(
        /ECONNREFUSED|connect/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// PostgreSQL only (declared only when it is reachable, which CI requires).
const postgresOnly = databases().filter((kind) => kind === 'postgres');
describe.each(postgresOnly)('sort indexes [%s]', () => {
  test('(column, id) indexes exist for deep pages over the sortable columns', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'upload-server-store-'));
    const schema = freshSchema();
    const opened = await openDatabase({ url: PG_TEST_URL, schema, dataDir: dir });
    try {
      const { rows } = await sql<{
        indexdef: string;
      }>`select indexdef from pg_indexes where schemaname = ${schema} and tablename = 'files'`.execute(opened.db);
      const defs = rows.map((r) => r.indexdef);
      for (const column of ['name', 'updated_at', 'mime', 'hash', 'size', 'created_at']) {
        expect(defs.some((d) => d.includes(`(${column}, id)`))).toBe(true);
      }
    } finally {
      await opened.close();
      await dropSchema(schema);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.each(postgresOnly)('several processes [%s]', () => {
  test('servers starting at once on one fresh schema all migrate it, once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'upload-server-store-'));
    const schema = freshSchema();
    const opened = await Promise.all(
      Array.from({ length: 4 }, () => openDatabase({ url: PG_TEST_URL, schema, dataDir: dir, poolSize: 2 })),
    );
    try {
      const { rows } = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(
        opened[0]!.db,
      );
      expect(rows.map((r) => r.name)).toEqual([
        '0001_initial',
        '0002_sort_indexes',
        '0003_upload_journal',
        '0004_object_migrations',
        '0005_tus_uploads',
        '0006_sqlite_size_index',
        '0007_redundant_indexes',
      ]);
      // A second fresh schema in the same database is migrated too: the first one's tables do not fool it.
      const other = freshSchema();
      const second = await openDatabase({ url: PG_TEST_URL, schema: other, dataDir: dir, poolSize: 1 });
      try {
        const tables = await sql<{
          n: number;
        }>`select count(*)::int as n from information_schema.tables where table_schema = ${other} and table_name = 'files'`.execute(
          second.db,
        );
        expect(tables.rows[0]?.n).toBe(1);
      } finally {
        await second.close();
        await dropSchema(other);
      }
    } finally {
      await Promise.all(opened.map((o) => o.close()));
      await dropSchema(schema);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
