import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

/** One object of `upload-server migrate`: where its copy to `target` stands. */
export interface ObjectMigrationsTable {
  /** A fingerprint of the target provider's config, so runs toward another target start afresh. */
  target: string;
  object_key: string;
  file_id: number;
  /** The format's name, or `''` for the original. */
  format: string;
  /** `copying` is written before the upload and `done` after it is verified; `failed` is retried by the next run. */
  status: 'copying' | 'done' | 'failed';
  size: number;
  sha256: string | null;
  /** The target's key and provider metadata for the copy, once done. */
  stored_key: string | null;
  stored_metadata: string | null;
  error: string | null;
  attempts: number;
  updated_at: string;
}

type Db = Kysely<Database & { object_migrations: ObjectMigrationsTable }>;

export interface ObjectProgress {
  status: ObjectMigrationsTable['status'];
  sha256: string | null;
  storedKey: string | null;
  storedMetadata: Record<string, unknown> | null;
}

export interface ObjectIdentity {
  key: string;
  fileId: number;
  format: string;
  size: number;
}

/** The progress of `upload-server migrate` toward one target, kept in the database. */
export class ObjectMigrations {
  private readonly db: Db;

  constructor(
    db: Kysely<Database>,
    readonly target: string,
  ) {
    this.db = db as unknown as Db;
  }

  /** Where each of `keys` stands; keys never started are absent. */
  async progressOf(keys: string[]): Promise<Map<string, ObjectProgress>> {
    const out = new Map<string, ObjectProgress>();
    for (let i = 0; i < keys.length; i += 500) {
      const rows = await this.db
        .selectFrom('object_migrations')
        .select(['object_key', 'status', 'sha256', 'stored_key', 'stored_metadata'])
        .where('target', '=', this.target)
        .where('object_key', 'in', keys.slice(i, i + 500))
        .execute();
      for (const r of rows) {
        out.set(r.object_key, {
          status: r.status,
          sha256: r.sha256,
          storedKey: r.stored_key,
          storedMetadata: r.stored_metadata ? (JSON.parse(r.stored_metadata) as Record<string, unknown>) : null,
        });
      }
    }
    return out;
  }

  markCopying(o: ObjectIdentity): Promise<void> {
    return this.upsert(o, { status: 'copying', error: null }, true);
  }

  markDone(o: ObjectIdentity, done: { sha256: string; storedKey: string; storedMetadata: unknown }): Promise<void> {
    return this.upsert(o, {
      status: 'done',
      sha256: done.sha256,
      stored_key: done.storedKey,
      stored_metadata: done.storedMetadata == null ? null : JSON.stringify(done.storedMetadata),
      error: null,
    });
  }

  markFailed(o: ObjectIdentity, error: string): Promise<void> {
    return this.upsert(o, { status: 'failed', error });
  }

  private async upsert(o: ObjectIdentity, set: Partial<ObjectMigrationsTable>, attempt = false): Promise<void> {
    const now = new Date().toISOString();
    await this.db
      .insertInto('object_migrations')
      .values({
        target: this.target,
        object_key: o.key,
        file_id: o.fileId,
        format: o.format,
        size: o.size,
        status: 'copying',
        sha256: null,
        stored_key: null,
        stored_metadata: null,
        error: null,
        attempts: attempt ? 1 : 0,
        ...set,
        updated_at: now,
      })
      .onConflict((oc) =>
        oc.columns(['target', 'object_key']).doUpdateSet((eb) => ({
          ...set,
          size: o.size,
          updated_at: now,
          ...(attempt ? { attempts: eb('object_migrations.attempts', '+', 1) } : {}),
        })),
      )
      .execute();
  }
}
