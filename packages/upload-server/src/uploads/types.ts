import type { Readable } from 'node:stream';
import type { FastifyBaseLogger } from 'fastify';
import type { StoredFile, StoredRef, UploadProvider } from 'upload-provider';
import type { UploadServerConfig } from '../config/schema.js';
import type { FormatEntity } from '../files/model.js';
import type { ImageProcessor } from '../images/index.js';
import type { NewLink, Repository } from '../store/repository.js';
import type { FileEntityRow, FileRow } from '../store/schema.js';

export interface FileInfo {
  name?: string | null;
  alternativeText?: string | null;
  caption?: string | null;
}

export interface IngestInput {
  stream: Readable;
  /** The client's file name (only its last segment counts). */
  filename: string;
  /** The type the client claimed; the bytes decide (see `checkMime`). */
  claimedMime?: string;
  fileInfo?: FileInfo;
  /** A folder for the key (Strapi's `path`), e.g. `avatars/2024`. */
  folderPath?: string;
  signal?: AbortSignal;
  /** Also make a download secret: its sha256 is stored, the secret itself is returned once as `secret`. */
  withSecret?: boolean;
  /** Replace the content of this file (same id); its old objects are removed once the new row is in place. */
  replaceId?: number;
  /** Links to entries, recorded with the row. */
  links?: NewLink[];
  /** True when the source stopped at the size limit (a multipart part cut short): the upload is too large. */
  truncated?: () => boolean;
}

/** An upload whose objects are stored but whose row is not written yet. */
export interface StagedFile {
  key: string;
  filename: string;
  hash: string;
  ext: string | null;
  mime: string;
  bytes: number;
  width: number | null;
  height: number | null;
  stored: StoredFile;
  formats: Record<string, FormatEntity> | null;
  folderPath: string;
  secret?: string;
  /** Every object written for this file (original and formats) that compensation removes. */
  objects: StoredRef[];
  /** Its keys in the journal: pending until the row is written (or compensation removed the objects). */
  pending: string[];
}

export interface CommitOptions {
  fileInfo?: FileInfo;
  links?: NewLink[];
  replaceId?: number;
}

export interface AdoptInput {
  /** The object's key, as the provider reports it (without its own prefix). */
  key: string;
  providerMetadata?: Record<string, unknown> | null;
  /** The user's file name, for `name`, `ext` and downloads. */
  filename: string;
  /** The type the client declared. */
  claimedMime?: string;
  /** When set, bytes of another type are refused (415), even if the lists allow them. */
  requireMime?: string;
  /** Size from `stat`, when known; otherwise counted while reading. */
  size?: number;
  folderPath?: string;
  withSecret?: boolean;
  signal?: AbortSignal;
  /** Keep the object when adopting fails, and when a later commit fails (the caller decides its fate). */
  keepOnFailure?: boolean;
}

/**
 * The one upload pipeline. Every way a file enters goes through it: `stage` (bytes from a client) or `adopt` (an
 * object already in the storage), then `commit` (the row); `discard` undoes, `remove` deletes a file.
 */
export interface Uploads {
  /** `stage` then `commit`. */
  ingest(input: IngestInput): Promise<FileEntityRow>;
  /** Checks and stores the bytes; writes no row. Leaves nothing behind when it rejects. */
  stage(input: IngestInput): Promise<StagedFile>;
  /**
   * Takes over an object that is already in the storage (a confirmed direct upload): reads it back to detect its
   * type from its bytes and check the allow/deny lists and the size limit, records image dimensions and makes
   * formats, and returns it staged for {@link Uploads.commit}. When it rejects, the formats it made are removed and
   * so is the object itself (unless `keepOnFailure`).
   */
  adopt(input: AdoptInput): Promise<StagedFile>;
  /** Writes the row (or replaces one); when it rejects, the staged objects are removed. */
  commit(staged: StagedFile, options?: CommitOptions): Promise<FileEntityRow>;
  /** Removes a staged file's objects (best effort, logged). */
  discard(staged: StagedFile): Promise<void>;
  /**
   * Deletes a file: its row, then its objects (original and formats), which the journal holds as pending in
   * between. Resolves with the deleted row, or undefined when it was already gone.
   */
  remove(row: FileRow): Promise<FileRow | undefined>;
}

/** What the pipeline needs: nothing of the HTTP layer. */
export interface UploadsDeps {
  config: Pick<
    UploadServerConfig,
    'sizeLimit' | 'tempDir' | 'allowedTypes' | 'deniedTypes' | 'images' | 'contentTypes'
  >;
  provider: UploadProvider;
  repo: Repository;
  images: ImageProcessor | null;
  log: FastifyBaseLogger;
}
