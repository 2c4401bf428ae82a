import type { Kysely, Transaction } from 'kysely';
import type { Database, DirectUploadRow, DirectUploadsTable } from './schema.js';

export type DirectUploadStatus = DirectUploadsTable['status'];
export type NewDirectUpload = Omit<DirectUploadRow, 'status'>;

/** The `direct_uploads` table: credentials handed out, and whether each upload was confirmed or expired. */
export interface DirectUploadStore {
  /** Records an upload whose credentials were just handed out. */
  insertPending(row: NewDirectUpload): Promise<void>;
  find(id: string): Promise<DirectUploadRow | undefined>;
  /** Moves an upload from one status to another; false when it was not in `from` (someone else claimed it). */
  claim(id: string, from: DirectUploadStatus, to: DirectUploadStatus): Promise<boolean>;
  /** Pending uploads whose credentials expired before `cutoff`, at most `limit` of them. */
  expiredBefore(cutoff: Date, limit: number): Promise<DirectUploadRow[]>;
}

export function createDirectUploadStore(db: Kysely<Database> | Transaction<Database>): DirectUploadStore {
  return {
    insertPending: async (row) => {
      await db
        .insertInto('direct_uploads')
        .values({ ...row, status: 'pending' })
        .execute();
    },
    find: (id) => db.selectFrom('direct_uploads').selectAll().where('id', '=', id).executeTakeFirst(),
    claim: async (id, from, to) => {
      const result = await db
        .updateTable('direct_uploads')
        .set({ status: to })
        .where('id', '=', id)
        .where('status', '=', from)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },
    expiredBefore: (cutoff, limit) =>
      db
        .selectFrom('direct_uploads')
        .selectAll()
        .where('status', '=', 'pending')
        .where('expires_at', '<', cutoff.toISOString())
        .limit(limit)
        .execute(),
  };
}
