import type { Kysely, Transaction } from 'kysely';
import type { Database, TusUploadRow, TusUploadsTable } from './schema.js';

export type TusUploadStatus = TusUploadsTable['status'];
export type NewTusUpload = Omit<TusUploadRow, 'status' | 'file_id'>;

/** The `tus_uploads` table: where each resumable upload stands, readable by any server process. */
export interface TusUploadStore {
  insert(row: NewTusUpload): Promise<void>;
  find(id: string): Promise<TusUploadRow | undefined>;
  /** Records bytes received: the new offset and session state. False when the upload is gone or not active. */
  advance(id: string, offset: number, session: string): Promise<boolean>;
  /** Sets a deferred length once. False when the upload is gone or its length was already known. */
  declareLength(id: string, length: number): Promise<boolean>;
  /** Moves an upload from one status to another; false when it was not in `from` (someone else claimed it). */
  claim(id: string, from: TusUploadStatus, to: TusUploadStatus): Promise<boolean>;
  /** Marks a claimed upload completed, with the id of the file row it became. */
  complete(id: string, fileId: number): Promise<void>;
  remove(id: string): Promise<void>;
  /** Uploads (of any status) whose expiry passed before `cutoff`, at most `limit` of them. */
  expiredBefore(cutoff: Date, limit: number): Promise<TusUploadRow[]>;
}

export function createTusUploadStore(db: Kysely<Database> | Transaction<Database>): TusUploadStore {
  return {
    insert: async (row) => {
      await db
        .insertInto('tus_uploads')
        .values({ ...row, status: 'active', file_id: null })
        .execute();
    },
    find: (id) => db.selectFrom('tus_uploads').selectAll().where('id', '=', id).executeTakeFirst(),
    advance: async (id, offset, session) => {
      const result = await db
        .updateTable('tus_uploads')
        .set({ upload_offset: offset, session })
        .where('id', '=', id)
        .where('status', '=', 'active')
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },
    declareLength: async (id, length) => {
      const result = await db
        .updateTable('tus_uploads')
        .set({ upload_length: length })
        .where('id', '=', id)
        .where('upload_length', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },
    claim: async (id, from, to) => {
      const result = await db
        .updateTable('tus_uploads')
        .set({ status: to })
        .where('id', '=', id)
        .where('status', '=', from)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },
    complete: async (id, fileId) => {
      await db.updateTable('tus_uploads').set({ status: 'completed', file_id: fileId }).where('id', '=', id).execute();
    },
    remove: async (id) => {
      await db.deleteFrom('tus_uploads').where('id', '=', id).execute();
    },
    expiredBefore: (cutoff, limit) =>
      db
        .selectFrom('tus_uploads')
        .selectAll()
        .where('expires_at', '<', cutoff.toISOString())
        .orderBy('expires_at')
        .limit(limit)
        .execute(),
  };
}
