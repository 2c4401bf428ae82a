import type { Kysely, Transaction } from 'kysely';
import type { GroupedRun } from './group-commit.js';
import type { Database } from './schema.js';

/** An object that may be in the storage without a row owning it yet. */
export interface PendingObject {
  key: string;
  /** The `object_key` of the row that will own it: the same key, or the original's for an image format. */
  fileKey: string;
  /** The format's name (`thumbnail`, `small`…), or null for the original. */
  format: string | null;
  providerMetadata: Record<string, unknown> | null;
  /** When the process that stored it last vouched for it. */
  touchedAt: Date;
}

export interface NewPendingObject {
  key: string;
  /** Default: `key` (an original). */
  fileKey?: string;
  format?: string | null;
  providerMetadata?: Record<string, unknown> | null;
}

/**
 * The write-ahead journal behind the repository. A key is recorded before its object is stored, and cleared once a
 * row owns it or the object was removed again; so whatever a killed process stored is listed here, and the sweep
 * can remove what no row references without listing the storage.
 */
export interface Journal {
  /** Records keys as pending (before their objects are stored) and holds them in this process until cleared. */
  record(objects: NewPendingObject[]): Promise<void>;
  /** Clears keys: a row owns them now, or their objects are gone. Stops holding them even when the write fails. */
  clear(keys: string[]): Promise<void>;
  /** Stops holding keys and leaves them pending: this process gave up on them (a delete failed); the sweep goes on. */
  release(keys: string[]): void;
  /** Keys this process recorded and has not cleared: its sweep leaves them alone. */
  readonly held: ReadonlySet<string>;
  /** Refreshes the time of every held key, so other servers' sweeps wait another grace period for them. */
  touchHeld(): Promise<void>;
  /** Pending objects nobody vouched for since `before`, oldest first. */
  pendingBefore(before: Date, limit: number): Promise<PendingObject[]>;
  /**
   * Whether a row owns this object: a file row with its key (and, for a format, that format), or a direct upload
   * still waiting for its confirm (the direct-upload sweep removes it when it expires).
   */
  isReferenced(object: Pick<PendingObject, 'fileKey' | 'format'>): Promise<boolean>;
  /** The same journal (same held keys) writing through `executor`, e.g. inside a transaction. */
  on(executor: Kysely<Database>): Journal;
}

// Keeps each statement's parameter list well under SQLite's and PostgreSQL's limits.
const CHUNK = 500;

function chunks<T>(items: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

function parseObject(text: string | null): Record<string, unknown> | null {
  if (!text) return null;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

export function createJournal(
  db: Kysely<Database> | Transaction<Database>,
  held: Set<string> = new Set(),
  grouped?: GroupedRun,
): Journal {
  const write = async (objects: NewPendingObject[], executor: Kysely<Database> = db) => {
    const now = new Date().toISOString();
    // One entry per key (a statement may not upsert one row twice); the last recorded wins.
    const unique = [...new Map(objects.map((o) => [o.key, o])).values()];
    for (const part of chunks(unique)) {
      await executor
        .insertInto('upload_journal')
        .values(
          part.map((o) => ({
            object_key: o.key,
            file_key: o.fileKey ?? o.key,
            format: o.format ?? null,
            provider_metadata: o.providerMetadata ? JSON.stringify(o.providerMetadata) : null,
            touched_at: now,
          })),
        )
        .onConflict((oc) =>
          oc.column('object_key').doUpdateSet((eb) => ({
            file_key: eb.ref('excluded.file_key'),
            format: eb.ref('excluded.format'),
            provider_metadata: eb.ref('excluded.provider_metadata'),
            touched_at: eb.ref('excluded.touched_at'),
          })),
        )
        .execute();
    }
  };

  // Uploads running at once record in one statement, one commit: what arrives before the next turn of the event
  // loop is written together (inside a transaction, at once, as part of it). On SQLite the group commit does that
  // for every transaction of the turn, records included.
  let queue: Array<{ objects: NewPendingObject[]; done: (error?: unknown) => void }> = [];
  const flush = async () => {
    const batch = queue;
    queue = [];
    const error = await write(batch.flatMap((b) => b.objects)).then(
      () => undefined,
      (e: unknown) => e ?? new Error('the journal write failed'),
    );
    for (const b of batch) b.done(error);
  };

  const journal: Journal = {
    held,
    async record(objects) {
      if (objects.length === 0) return;
      for (const object of objects) held.add(object.key);
      if (db.isTransaction) return write(objects);
      if (grouped) return grouped((tx) => write(objects, tx));
      await new Promise<void>((resolve, reject) => {
        queue.push({ objects, done: (error) => (error ? reject(error) : resolve()) });
        if (queue.length === 1) setImmediate(flush);
      });
    },
    async clear(keys) {
      try {
        for (const part of chunks(keys)) {
          await db.deleteFrom('upload_journal').where('object_key', 'in', part).execute();
        }
      } finally {
        for (const key of keys) held.delete(key);
      }
    },
    release(keys) {
      for (const key of keys) held.delete(key);
    },
    async touchHeld() {
      const now = new Date().toISOString();
      for (const part of chunks([...held])) {
        await db.updateTable('upload_journal').set({ touched_at: now }).where('object_key', 'in', part).execute();
      }
    },
    async pendingBefore(before, limit) {
      const rows = await db
        .selectFrom('upload_journal')
        .selectAll()
        .where('touched_at', '<', before.toISOString())
        .orderBy('touched_at')
        .limit(limit)
        .execute();
      return rows.map((row) => ({
        key: row.object_key,
        fileKey: row.file_key,
        format: row.format,
        providerMetadata: parseObject(row.provider_metadata),
        touchedAt: new Date(row.touched_at),
      }));
    },
    async isReferenced({ fileKey, format }) {
      const rows = await db.selectFrom('files').select('formats').where('object_key', '=', fileKey).execute();
      if (rows.some((row) => format === null || Object.hasOwn(parseObject(row.formats) ?? {}, format))) return true;
      if (format !== null) return false;
      const waiting = await db
        .selectFrom('direct_uploads')
        .select('id')
        .where('object_key', '=', fileKey)
        .where('status', '=', 'pending')
        .executeTakeFirst();
      return waiting !== undefined;
    },
    on: (executor) => createJournal(executor, held, grouped),
  };
  return journal;
}
