import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import type { FastifyBaseLogger } from 'fastify';
import { sql } from 'kysely';
import { buildKey, ProviderError, type StoredRef, type UploadProvider } from 'upload-provider';
import { localProvider } from 'upload-provider-local';
import { type OpenDatabase, openDatabase } from '../src/store/db.js';
import { createJournal, type Journal } from '../src/store/journal.js';
import { createRepository, nowIso, type Repository } from '../src/store/repository.js';
import type { NewFileRow } from '../src/store/schema.js';
import { withSweepLock } from '../src/store/sweep-lock.js';
import { type OrphanSweepDeps, sweepOrphans } from '../src/uploads/orphans.js';
import { dropSchema, freshSchema, PG_TEST_URL } from './helpers/pg.js';
import { databases } from './helpers/server.js';

const HOUR = 60 * 60_000;

function fileRow(objectKey: string, formats: Record<string, unknown> | null = null): NewFileRow {
  const now = nowIso();
  return {
    document_id: `doc${Math.random().toString(36).slice(2, 14)}`,
    name: objectKey,
    alternative_text: null,
    caption: null,
    width: null,
    height: null,
    formats: formats ? JSON.stringify(formats) : null,
    hash: objectKey,
    ext: '.txt',
    mime: 'text/plain',
    size: 0.01,
    size_in_bytes: 5,
    url: `/uploads/${objectKey}`,
    preview_url: null,
    provider: 'local',
    provider_metadata: null,
    object_key: objectKey,
    secret_hash: null,
    created_at: now,
    updated_at: now,
  };
}

/** A logger that keeps what was logged at warn and above. */
function recordingLog(): FastifyBaseLogger & { lines: string[] } {
  const lines: string[] = [];
  const keep = (_obj: unknown, msg?: string) => {
    lines.push(String(msg ?? _obj));
  };
  const log = {
    lines,
    level: 'info',
    fatal: keep,
    error: keep,
    warn: keep,
    info: () => {},
    debug: () => {},
    trace: () => {},
    silent: () => {},
    child: () => log,
  };
  return log as unknown as FastifyBaseLogger & { lines: string[] };
}

for (const kind of databases()) {
  describe(`journal and orphan sweep [${kind}]`, () => {
    let dir: string;
    let schema: string | undefined;
    let opened: OpenDatabase;
    let repo: Repository;
    let journal: Journal;
    let storeDir: string;
    let tempDir: string;
    let provider: UploadProvider;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'upload-server-orphans-'));
      schema = kind === 'postgres' ? freshSchema() : undefined;
      opened = await openDatabase(
        kind === 'postgres' ? { url: PG_TEST_URL, schema: schema!, dataDir: dir, poolSize: 3 } : { dataDir: dir },
      );
      repo = createRepository(opened.db, opened.dialect);
    });
    afterAll(async () => {
      await opened.close();
      if (schema) await dropSchema(schema);
      rmSync(dir, { recursive: true, force: true });
    });
    beforeEach(async () => {
      await opened.db.deleteFrom('upload_journal').execute();
      await opened.db.deleteFrom('sweep_leases').execute();
      journal = createJournal(opened.db);
      storeDir = mkdtempSync(join(dir, 'store-'));
      tempDir = mkdtempSync(join(dir, 'temp-'));
      provider = localProvider({ root: storeDir });
    });

    const deps = (extra: Partial<OrphanSweepDeps> = {}): OrphanSweepDeps => ({
      db: opened.db,
      dialect: opened.dialect,
      journal,
      provider,
      tempDir,
      graceMs: HOUR,
      log: recordingLog(),
      ...extra,
    });

    const store = async (name: string): Promise<StoredRef> => {
      const stored = await provider.upload({
        key: buildKey(name),
        body: Buffer.from('hello'),
        mime: 'text/plain',
        name,
      });
      return { key: stored.key, providerMetadata: stored.providerMetadata ?? null };
    };
    const exists = async (ref: StoredRef) => (await provider.stat!(ref)) !== null;
    const later = (ms: number) => new Date(Date.now() + ms);

    test('a recorded key is pending and held until cleared; recording it again only refreshes it', async () => {
      await journal.record([{ key: 'a/x.txt' }, { key: 'a/thumbnail_x.txt', fileKey: 'a/x.txt', format: 'thumbnail' }]);
      await journal.record([{ key: 'a/x.txt', providerMetadata: { v: 1 } }]);
      expect([...journal.held].sort()).toEqual(['a/thumbnail_x.txt', 'a/x.txt']);
      const pending = await journal.pendingBefore(later(1000), 10);
      expect(pending.map((p) => [p.key, p.fileKey, p.format]).sort()).toEqual([
        ['a/thumbnail_x.txt', 'a/x.txt', 'thumbnail'],
        ['a/x.txt', 'a/x.txt', null],
      ]);
      expect(pending.find((p) => p.key === 'a/x.txt')?.providerMetadata).toEqual({ v: 1 });
      expect(await journal.pendingBefore(new Date(Date.now() - HOUR), 10)).toEqual([]);
      await journal.clear(['a/x.txt', 'a/thumbnail_x.txt']);
      expect(journal.held.size).toBe(0);
      expect(await journal.pendingBefore(later(1000), 10)).toEqual([]);
    });

    test('records made at once are written together; a key recorded twice keeps the last', async () => {
      await Promise.all([
        journal.record([{ key: 'same.txt', providerMetadata: { v: 1 } }]),
        journal.record([{ key: 'same.txt', providerMetadata: { v: 2 } }, { key: 'other.txt' }]),
      ]);
      const pending = await journal.pendingBefore(later(1000), 10);
      expect(pending.map((p) => [p.key, p.providerMetadata]).sort()).toEqual([
        ['other.txt', null],
        ['same.txt', { v: 2 }],
      ]);
    });

    test('touchHeld refreshes only the keys this process holds', async () => {
      await journal.record([{ key: 'mine.txt' }]);
      // Another process recorded this one and died holding it.
      await createJournal(opened.db).record([{ key: 'theirs.txt' }]);
      const old = new Date(Date.now() - 2 * HOUR).toISOString();
      await opened.db.updateTable('upload_journal').set({ touched_at: old }).execute();
      await journal.touchHeld();
      const stale = await journal.pendingBefore(new Date(Date.now() - HOUR), 10);
      expect(stale.map((p) => p.key)).toEqual(['theirs.txt']);
    });

    test('a row references its original, the formats it lists, and a direct upload waits for its key', async () => {
      await repo.insertFile(fileRow('r/cat.png', { thumbnail: { url: 'x' } }));
      expect(await journal.isReferenced({ fileKey: 'r/cat.png', format: null })).toBe(true);
      expect(await journal.isReferenced({ fileKey: 'r/cat.png', format: 'thumbnail' })).toBe(true);
      expect(await journal.isReferenced({ fileKey: 'r/cat.png', format: 'small' })).toBe(false);
      expect(await journal.isReferenced({ fileKey: 'r/dog.png', format: null })).toBe(false);
      const direct = (id: string, key: string, status: 'pending' | 'completed') => ({
        id,
        object_key: key,
        name: 'd',
        mime: 'text/plain',
        size: 5,
        file_info: null,
        ref: null,
        ref_id: null,
        field: null,
        folder_path: null,
        provider_metadata: null,
        status,
        expires_at: nowIso(),
        created_at: nowIso(),
      });
      await opened.db
        .insertInto('direct_uploads')
        .values([direct('du_a', 'r/waiting.txt', 'pending'), direct('du_b', 'r/claimed.txt', 'completed')])
        .execute();
      expect(await journal.isReferenced({ fileKey: 'r/waiting.txt', format: null })).toBe(true);
      expect(await journal.isReferenced({ fileKey: 'r/claimed.txt', format: null })).toBe(false);
    });

    test('the sweep deletes unreferenced pending objects past the grace period and keeps referenced ones', async () => {
      const dead = createJournal(opened.db); // a process that was killed: it never clears
      const orphan = await store('orphan.txt');
      const owned = await store('owned.txt');
      const young = await store('young.txt');
      await dead.record([{ key: orphan.key }, { key: owned.key }, { key: 'never-stored.txt' }]);
      await repo.insertFile(fileRow(owned.key));
      const result = await sweepOrphans(deps(), Date.now() + HOUR + 1000);
      expect(result).toMatchObject({ skipped: false, removed: 2, kept: 1, failed: 0 });
      expect(await exists(orphan)).toBe(false);
      expect(await exists(owned)).toBe(true);
      expect(await journal.pendingBefore(later(2 * HOUR), 10)).toEqual([]);

      // Inside the grace period nothing is touched.
      await dead.record([{ key: young.key }]);
      expect(await sweepOrphans(deps())).toMatchObject({ removed: 0, kept: 0 });
      expect(await exists(young)).toBe(true);
    });

    test('keys this process holds are never swept, even with a grace period of 0', async () => {
      const inFlight = await store('in-flight.txt');
      await journal.record([{ key: inFlight.key }]);
      expect(await sweepOrphans(deps({ graceMs: 0 }), Date.now() + 1000)).toMatchObject({ removed: 0 });
      expect(await exists(inFlight)).toBe(true);
      expect((await journal.pendingBefore(later(2000), 10)).map((p) => p.key)).toEqual([inFlight.key]);
    });

    test('a delete that fails leaves the entry for the next sweep', async () => {
      const orphan = await store('stubborn.txt');
      await createJournal(opened.db).record([{ key: orphan.key }]);
      const refusing: UploadProvider = {
        ...provider,
        delete: async () => {
          throw new ProviderError('UNAVAILABLE', 'the storage is down');
        },
      };
      const log = recordingLog();
      expect(await sweepOrphans(deps({ provider: refusing, graceMs: 0, log }), Date.now() + 1000)).toMatchObject({
        removed: 0,
        failed: 1,
      });
      expect(log.lines.join('\n')).toMatch(/orphaned object/);
      expect((await journal.pendingBefore(later(1000), 10)).map((p) => p.key)).toEqual([orphan.key]);
      expect(await sweepOrphans(deps({ graceMs: 0 }), Date.now() + 1000)).toMatchObject({ removed: 1, failed: 0 });
      expect(await exists(orphan)).toBe(false);
    });

    test("the provider's cleanup is asked to remove its temporary data older than the grace period", async () => {
      const asked: Date[] = [];
      const cleaning = {
        ...provider,
        cleanup: async ({ olderThan }: { olderThan: Date }) => {
          asked.push(olderThan);
          return { removed: 3 };
        },
      };
      const now = Date.now();
      expect(await sweepOrphans(deps({ provider: cleaning }), now)).toMatchObject({ providerTemp: 3 });
      expect(asked).toEqual([new Date(now - HOUR)]);
    });

    test('stale spool folders of this server go; fresh, live, foreign and odd ones stay', async () => {
      const old = new Date(Date.now() - 2 * HOUR);
      const folder = (name: string, files: string[], age: Date | null = old) => {
        const path = join(tempDir, name);
        mkdirSync(path);
        for (const file of files) {
          writeFileSync(join(path, file), 'x');
          if (age) utimesSync(join(path, file), age, age);
        }
        if (age) utimesSync(path, age, age);
        return path;
      };
      const stale = folder('upload-server-aB3dE9', ['original', 'original.thumbnail.jpg']);
      const staleFormats = folder('upload-server-Zz09yY', ['original', 'original.small.png']);
      const empty = folder('upload-server-Qq1234', []);
      const fresh = folder('upload-server-Fr3sh1', ['original'], null);
      const live = folder('upload-server-L1ve00', ['original']);
      const foreignFile = folder('upload-server-Ab12Cd', ['notes.txt']);
      const foreignName = folder('upload-server-test-Ab12Cd', ['original']);
      const other = folder('something-else', ['original']);
      const result = await sweepOrphans(deps({ liveFolders: new Set([live]) }));
      expect(result.spoolFolders).toBe(3);
      for (const gone of [stale, staleFormats, empty]) expect(existsSync(gone)).toBe(false);
      for (const kept of [fresh, live, foreignFile, foreignName, other]) expect(existsSync(kept)).toBe(true);
    });

    test('two sweepers of one database at once: one sweeps, the other skips its turn', async () => {
      const orphan = await store('contended.txt');
      await createJournal(opened.db).record([{ key: orphan.key }]);
      let release!: () => void;
      const gate = new Promise<void>((r) => {
        release = r;
      });
      let entered!: () => void;
      const inDelete = new Promise<void>((r) => {
        entered = r;
      });
      const slow: UploadProvider = {
        ...provider,
        delete: async (ref) => {
          entered();
          await gate;
          await provider.delete(ref);
        },
      };
      const first = sweepOrphans(deps({ provider: slow, graceMs: 0 }), Date.now() + 1000);
      await inDelete;
      const second = await sweepOrphans(deps({ graceMs: 0 }), Date.now() + 1000);
      expect(second).toMatchObject({ skipped: true, removed: 0 });
      release();
      expect(await first).toMatchObject({ skipped: false, removed: 1 });
      // The lock is free again.
      expect(await sweepOrphans(deps({ graceMs: 0 }))).toMatchObject({ skipped: false });
    });

    test('a lock left by a killed sweeper does not stop the sweep for good', async () => {
      if (kind === 'postgres') {
        // An advisory lock dies with its session: kill the backend of one holding it, and the next sweep gets it.
        const other = await openDatabase({ url: PG_TEST_URL, schema: schema!, dataDir: dir, poolSize: 1 });
        let stop!: () => void;
        const stopped = new Promise<void>((r) => {
          stop = r;
        });
        let holding!: (pid: number) => void;
        const holderPid = new Promise<number>((r) => {
          holding = r;
        });
        const heldBy = withSweepLock(other.db, 'postgres', 'orphans', async (conn) => {
          const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(conn);
          holding(rows[0]!.pid);
          await stopped;
        }).catch((error: unknown) => error);
        const pid = await holderPid;
        expect(await sweepOrphans(deps())).toMatchObject({ skipped: true });
        await sql`select pg_terminate_backend(${pid})`.execute(opened.db);
        stop();
        expect(await heldBy).toBeInstanceOf(Error);
        await other.close().catch(() => {});
        expect(await sweepOrphans(deps())).toMatchObject({ skipped: false });
        return;
      }
      const lease = (expires: Date) =>
        opened.db
          .insertInto('sweep_leases')
          .values({ name: 'orphans', holder: 'dead-host:1:abc', expires_at: expires.toISOString() })
          .onConflict((oc) => oc.column('name').doUpdateSet({ expires_at: expires.toISOString() }))
          .execute();
      await lease(later(60_000));
      expect(await sweepOrphans(deps())).toMatchObject({ skipped: true });
      await lease(new Date(Date.now() - 1000));
      expect(await sweepOrphans(deps())).toMatchObject({ skipped: false });
    });
  });
}
