import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

/** The `files` table: one row per stored file (formats live in its `formats` JSON). Timestamps are ISO-8601 UTC. */
export interface FilesTable {
  id: Generated<number>;
  document_id: string;
  name: string;
  alternative_text: string | null;
  caption: string | null;
  width: number | null;
  height: number | null;
  /** JSON of Strapi's `formats` object, or null. */
  formats: string | null;
  hash: string;
  ext: string | null;
  mime: string;
  /** KB with two decimals, as Strapi reports it. */
  size: number;
  size_in_bytes: number;
  /** The provider's plain, unsigned location. Never a signed URL. */
  url: string;
  preview_url: string | null;
  provider: string;
  /** JSON the provider returned with the upload, or null. */
  provider_metadata: string | null;
  folder_path: ColumnType<string, string | undefined, string>;
  object_key: string;
  /** sha256 hex of the download secret, for files addressed by secret. */
  secret_hash: string | null;
  created_at: string;
  updated_at: string;
}

export interface FileLinksTable {
  id: Generated<number>;
  file_id: number;
  ref: string;
  ref_id: string;
  field: string;
  position: number;
}

export interface DirectUploadsTable {
  id: string;
  object_key: string;
  name: string;
  mime: string;
  size: number;
  file_info: string | null;
  ref: string | null;
  ref_id: string | null;
  field: string | null;
  folder_path: string | null;
  provider_metadata: string | null;
  status: 'pending' | 'completed' | 'expired';
  expires_at: string;
  created_at: string;
}

/** The `tus_uploads` table: one row per resumable upload, from creation until it expires. */
export interface TusUploadsTable {
  /** The tus upload id (the last segment of its URL). */
  id: string;
  /** The key the object gets (native sessions); the generic path's `stage` picks its own. */
  object_key: string;
  upload_offset: number;
  /** Null while the length is deferred. */
  upload_length: number | null;
  /** JSON of the tus `Upload-Metadata` pairs. */
  metadata: string;
  /** JSON: `{ kind: 'native' | 'temp', state }`, the session as the storage (or the temp file) needs it back. */
  session: string;
  /** `active` while bytes arrive, `finishing` while the pipeline takes the file, `completed` once the row exists. */
  status: 'active' | 'finishing' | 'completed';
  file_id: number | null;
  created_at: string;
  expires_at: string;
}

export interface ApiTokensTable {
  id: Generated<number>;
  name: string;
  token_hash: string;
  access: 'read-only' | 'full-access';
  created_at: string;
  last_used_at: string | null;
}

/** The write-ahead journal: objects that may be in the storage without a row yet (see store/journal.ts). */
export interface UploadJournalTable {
  object_key: string;
  /** The `object_key` of the row that will own it: the same key, or the original's for an image format. */
  file_key: string;
  /** The format's name (`thumbnail`, `small`…), or null for the original. */
  format: string | null;
  provider_metadata: string | null;
  /** When the process that stored it last vouched for it (ISO-8601 UTC); the sweep waits a grace period after. */
  touched_at: string;
}

/** Who sweeps, on SQLite: one lease row per job, taken when expired. */
export interface SweepLeasesTable {
  name: string;
  holder: string;
  expires_at: string;
}

export interface Database {
  files: FilesTable;
  file_links: FileLinksTable;
  direct_uploads: DirectUploadsTable;
  api_tokens: ApiTokensTable;
  upload_journal: UploadJournalTable;
  sweep_leases: SweepLeasesTable;
  tus_uploads: TusUploadsTable;
}

export type FileRow = Selectable<FilesTable>;
/** The row `ingest` returns (with `secret` once, when asked for). */
export type FileEntityRow = FileRow & { secret?: string };
export type NewFileRow = Insertable<FilesTable>;
export type FileRowUpdate = Updateable<FilesTable>;
export type FileLinkRow = Selectable<FileLinksTable>;
export type ApiTokenRow = Selectable<ApiTokensTable>;
export type DirectUploadRow = Selectable<DirectUploadsTable>;
export type TusUploadRow = Selectable<TusUploadsTable>;

export type Dialect = 'sqlite' | 'postgres';
