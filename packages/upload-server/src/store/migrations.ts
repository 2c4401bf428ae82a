import { type Kysely, type Migration, type MigrationProvider, Migrator, sql } from 'kysely';
import type { Dialect } from './schema.js';

// Migrations are code (not files on disk) so they work from dist/, from tests and from a bundle alike.
function migrations(dialect: Dialect): Record<string, Migration> {
  const pk = dialect === 'postgres' ? ('serial' as const) : ('integer' as const);
  return {
    '0001_initial': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('files')
          .addColumn('id', pk, (c) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()))
          .addColumn('document_id', 'text', (c) => c.notNull().unique())
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('alternative_text', 'text')
          .addColumn('caption', 'text')
          .addColumn('width', 'integer')
          .addColumn('height', 'integer')
          .addColumn('formats', 'text')
          .addColumn('hash', 'text', (c) => c.notNull())
          .addColumn('ext', 'text')
          .addColumn('mime', 'text', (c) => c.notNull())
          // PostgreSQL's `real` is 4 bytes (7 digits): a 5 GB file's size in KB would lose its decimals.
          .addColumn('size', dialect === 'postgres' ? 'double precision' : 'real', (c) => c.notNull())
          .addColumn('size_in_bytes', 'bigint', (c) => c.notNull())
          .addColumn('url', 'text', (c) => c.notNull())
          .addColumn('preview_url', 'text')
          .addColumn('provider', 'text', (c) => c.notNull())
          .addColumn('provider_metadata', 'text')
          .addColumn('folder_path', 'text', (c) => c.notNull().defaultTo('/'))
          .addColumn('object_key', 'text', (c) => c.notNull())
          .addColumn('secret_hash', 'text', (c) => c.unique())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('updated_at', 'text', (c) => c.notNull())
          .execute();
        for (const column of ['created_at', 'updated_at', 'name', 'mime', 'hash', 'document_id']) {
          await db.schema.createIndex(`files_${column}_idx`).on('files').column(column).execute();
        }
        // Keyset-friendly composite indexes: sort by time with id as the tie-breaker.
        await db.schema.createIndex('files_created_at_id_idx').on('files').columns(['created_at', 'id']).execute();
        await db.schema
          .createTable('file_links')
          .addColumn('id', pk, (c) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()))
          .addColumn('file_id', 'integer', (c) => c.notNull().references('files.id').onDelete('cascade'))
          .addColumn('ref', 'text', (c) => c.notNull())
          .addColumn('ref_id', 'text', (c) => c.notNull())
          .addColumn('field', 'text', (c) => c.notNull())
          .addColumn('position', 'integer', (c) => c.notNull().defaultTo(0))
          .execute();
        await db.schema
          .createIndex('file_links_ref_idx')
          .on('file_links')
          .columns(['ref', 'ref_id', 'field'])
          .execute();
        await db.schema.createIndex('file_links_file_id_idx').on('file_links').column('file_id').execute();
        await db.schema
          .createTable('direct_uploads')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('object_key', 'text', (c) => c.notNull())
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('mime', 'text', (c) => c.notNull())
          .addColumn('size', 'bigint', (c) => c.notNull())
          .addColumn('file_info', 'text')
          .addColumn('ref', 'text')
          .addColumn('ref_id', 'text')
          .addColumn('field', 'text')
          .addColumn('folder_path', 'text')
          .addColumn('provider_metadata', 'text')
          .addColumn('status', 'text', (c) => c.notNull().defaultTo('pending'))
          .addColumn('expires_at', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema
          .createIndex('direct_uploads_status_expires_idx')
          .on('direct_uploads')
          .columns(['status', 'expires_at'])
          .execute();
        await db.schema
          .createTable('api_tokens')
          .addColumn('id', pk, (c) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()))
          .addColumn('name', 'text', (c) => c.notNull().unique())
          .addColumn('token_hash', 'text', (c) => c.notNull())
          .addColumn('access', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('last_used_at', 'text')
          .execute();
        await db.schema.createIndex('api_tokens_token_hash_idx').on('api_tokens').column('token_hash').execute();
      },
      async down(db: Kysely<unknown>) {
        for (const t of ['file_links', 'files', 'direct_uploads', 'api_tokens']) await db.schema.dropTable(t).execute();
      },
    },
    '0002_sort_indexes': {
      // Lists sort by (column, id) and page deep with `id IN (SELECT id … ORDER BY column, id LIMIT … OFFSET …)`:
      // on PostgreSQL that subquery is an index-only scan only with (column, id) indexes. SQLite's indexes already
      // carry the rowid, so it needs none.
      async up(db: Kysely<unknown>) {
        if (dialect !== 'postgres') return;
        for (const column of ['name', 'updated_at', 'mime', 'hash', 'size']) {
          await db.schema.createIndex(`files_${column}_id_idx`).on('files').columns([column, 'id']).execute();
        }
      },
      async down(db: Kysely<unknown>) {
        if (dialect !== 'postgres') return;
        for (const column of ['name', 'updated_at', 'mime', 'hash', 'size']) {
          await db.schema.dropIndex(`files_${column}_id_idx`).execute();
        }
      },
    },
    '0003_upload_journal': {
      // The write-ahead journal: a key is pending from before its object is stored until a row owns it or it is
      // removed; the sweep deletes pending objects no row references. See store/journal.ts.
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('upload_journal')
          .addColumn('object_key', 'text', (c) => c.primaryKey())
          // The key the file's row will have: the object's own, or the original's for an image format.
          .addColumn('file_key', 'text', (c) => c.notNull())
          .addColumn('format', 'text')
          .addColumn('provider_metadata', 'text')
          .addColumn('touched_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema
          .createIndex('upload_journal_touched_at_idx')
          .on('upload_journal')
          .column('touched_at')
          .execute();
        // The sweep asks "does a row own this key?" once per pending object.
        await db.schema.createIndex('files_object_key_idx').on('files').column('object_key').execute();
        // One sweeper at a time on SQLite (PostgreSQL uses an advisory lock instead): a lease row.
        await db.schema
          .createTable('sweep_leases')
          .addColumn('name', 'text', (c) => c.primaryKey())
          .addColumn('holder', 'text', (c) => c.notNull())
          .addColumn('expires_at', 'text', (c) => c.notNull())
          .execute();
      },
      async down(db: Kysely<unknown>) {
        await db.schema.dropTable('sweep_leases').execute();
        await db.schema.dropIndex('files_object_key_idx').execute();
        await db.schema.dropTable('upload_journal').execute();
      },
    },
    '0004_object_migrations': {
      // `upload-server migrate`: one row per object copied (or being copied) to a target provider, so a run that
      // stops is resumed without writing any object twice.
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('object_migrations')
          .addColumn('target', 'text', (c) => c.notNull())
          .addColumn('object_key', 'text', (c) => c.notNull())
          .addColumn('file_id', 'integer', (c) => c.notNull())
          .addColumn('format', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('size', 'bigint', (c) => c.notNull())
          .addColumn('sha256', 'text')
          .addColumn('stored_key', 'text')
          .addColumn('stored_metadata', 'text')
          .addColumn('error', 'text')
          .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('updated_at', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('object_migrations_pk', ['target', 'object_key'])
          .execute();
      },
      async down(db: Kysely<unknown>) {
        await db.schema.dropTable('object_migrations').execute();
      },
    },
    '0005_tus_uploads': {
      // Resumable uploads (tus): the offset, length and the storage session live here, so any server resumes them.
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('tus_uploads')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('object_key', 'text', (c) => c.notNull())
          .addColumn('upload_offset', 'bigint', (c) => c.notNull())
          .addColumn('upload_length', 'bigint')
          .addColumn('metadata', 'text', (c) => c.notNull())
          .addColumn('session', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull().defaultTo('active'))
          .addColumn('file_id', 'integer')
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('expires_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('tus_uploads_expires_at_idx').on('tus_uploads').column('expires_at').execute();
      },
      async down(db: Kysely<unknown>) {
        await db.schema.dropTable('tus_uploads').execute();
      },
    },
    '0006_sqlite_size_index': {
      // "Largest first" in the media library sorted every row on SQLite (no index on size there; 0002 made the
      // PostgreSQL ones): 44.8 ms at 100,000 rows, 29.5× the time at 1,000.
      async up(db: Kysely<unknown>) {
        if (dialect === 'postgres') return;
        await db.schema.createIndex('files_size_idx').on('files').column('size').execute();
      },
      async down(db: Kysely<unknown>) {
        if (dialect === 'postgres') return;
        await db.schema.dropIndex('files_size_idx').execute();
      },
    },
    '0007_redundant_indexes': {
      // Every index is written on every upload. Some only repeated another: document_id's unique constraint already
      // has one; on SQLite an index carries the rowid, so (created_at, id) is (created_at); on PostgreSQL each
      // (column, id) index of 0001/0002 answers what the index on its column alone did.
      async up(db: Kysely<unknown>) {
        for (const name of redundantIndexes(dialect)) await db.schema.dropIndex(name).ifExists().execute();
      },
      async down(db: Kysely<unknown>) {
        for (const name of redundantIndexes(dialect)) {
          const columns = name === 'files_created_at_id_idx' ? ['created_at', 'id'] : [name.slice(6, -4)];
          await db.schema.createIndex(name).ifNotExists().on('files').columns(columns).execute();
        }
      },
    },
  };
}

/** The indexes on `files` that repeat another index of the same dialect (see 0007). */
function redundantIndexes(dialect: Dialect): string[] {
  return dialect === 'postgres'
    ? ['created_at', 'updated_at', 'name', 'mime', 'hash', 'document_id'].map((c) => `files_${c}_idx`)
    : ['files_document_id_idx', 'files_created_at_id_idx'];
}

class CodeMigrations implements MigrationProvider {
  constructor(private readonly dialect: Dialect) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    return migrations(this.dialect);
  }
}

/** Brings the database to the latest schema. Safe to run from several processes at once (kysely takes a lock). */
export async function migrateToLatest(db: Kysely<unknown>, dialect: Dialect): Promise<string[]> {
  // kysely looks for its own tables in every schema unless told which one: name the one in use, or a server in a
  // fresh schema would believe it migrated because another schema of the same database has those tables.
  const schema =
    dialect === 'postgres'
      ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(db)).rows[0]?.schema
      : undefined;
  const migrator = new Migrator({
    db,
    provider: new CodeMigrations(dialect),
    ...(schema ? { migrationTableSchema: schema } : {}),
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error;
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
