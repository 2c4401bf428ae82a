import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { DataStore, ERRORS, Upload } from '@tus/server';
import { buildKey, slugifyName } from 'upload-provider';
import type { UploadServerConfig } from '../config/schema.js';
import { checkMime, SNIFF_BYTES, sniffStream } from '../content/index.js';
import { HttpError } from '../errors.js';
import type { TusUploadRow } from '../store/schema.js';
import type { TusUploadStore } from '../store/tus-uploads.js';
import { folderOf } from '../uploads/index.js';
import { readMetadata } from './metadata.js';
import type { Sessions, StoredSession } from './sessions.js';

/** The tus extensions this server speaks. */
export const TUS_EXTENSIONS = [
  'creation',
  'creation-with-upload',
  'creation-defer-length',
  'termination',
  'expiration',
];

export interface ResumableStoreDeps {
  config: Pick<UploadServerConfig, 'contentTypes' | 'allowedTypes' | 'deniedTypes'>;
  uploads: TusUploadStore;
  sessions: Sessions;
  /** How long an upload may stay incomplete, in milliseconds. */
  expiresInMs: number;
}

export function sessionOf(row: TusUploadRow): StoredSession {
  return JSON.parse(row.session) as StoredSession;
}

/**
 * @tus/server's data store over the `tus_uploads` table and a session (the provider's own, or a temp file). Offsets
 * and session state are written to the database after every request, so any server process can continue.
 */
export class ResumableStore extends DataStore {
  constructor(private readonly deps: ResumableStoreDeps) {
    super();
    this.extensions = TUS_EXTENSIONS;
  }

  override async create(upload: Upload): Promise<Upload> {
    const { config, sessions } = this.deps;
    const meta = readMetadata(upload.metadata, config);
    const { slug, ext } = slugifyName(meta.filename);
    const { prefix } = folderOf(meta.folder);
    const key = buildKey(`${slug}${ext}`, { prefix, random: randomBytes(5).toString('hex') });
    const size = upload.size ?? null;
    const state = await sessions.create({ id: upload.id, key, mime: meta.mime, name: meta.filename, size });
    const now = new Date();
    const session: StoredSession = { kind: sessions.kind, state };
    try {
      await this.deps.uploads.insert({
        id: upload.id,
        object_key: key,
        upload_offset: 0,
        upload_length: size,
        metadata: JSON.stringify(upload.metadata ?? {}),
        session: JSON.stringify(session),
        created_at: now.toISOString(),
        expires_at: new Date(now.getTime() + this.deps.expiresInMs).toISOString(),
      });
    } catch (error) {
      await sessions.abort(key, state).catch(() => {});
      throw error;
    }
    upload.creation_date = now.toISOString();
    return upload;
  }

  override async write(stream: Readable, id: string, offset: number): Promise<number> {
    const row = await this.activeRow(id);
    const { state } = sessionOf(row);
    const body = offset === 0 ? await this.checkHead(stream, row) : stream;
    const written = await this.deps.sessions.append(row.object_key, state, body, offset);
    const session: StoredSession = { kind: this.deps.sessions.kind, state: written.state };
    if (!(await this.deps.uploads.advance(id, written.offset, JSON.stringify(session)))) {
      // Terminated or expired while the bytes arrived (another server's sweep): nothing of it may stay.
      await this.deps.sessions.abort(row.object_key, written.state).catch(() => {});
      throw ERRORS.FILE_NO_LONGER_EXISTS;
    }
    return written.offset;
  }

  override async getUpload(id: string): Promise<Upload> {
    const row = await this.deps.uploads.find(id);
    if (!row) throw ERRORS.FILE_NOT_FOUND;
    const size = row.upload_length === null ? undefined : Number(row.upload_length);
    return new Upload({
      id,
      offset: row.status === 'completed' && size !== undefined ? size : Number(row.upload_offset),
      ...(size !== undefined ? { size } : {}),
      metadata: JSON.parse(row.metadata) as Record<string, string | null>,
      creation_date: row.created_at,
    });
  }

  override async declareUploadLength(id: string, length: number): Promise<void> {
    if (!(await this.deps.uploads.declareLength(id, length))) throw ERRORS.INVALID_LENGTH;
  }

  /** Termination: the session's bytes and the row go. A finished upload is a file now (delete that instead). */
  override async remove(id: string): Promise<void> {
    const row = await this.deps.uploads.find(id);
    if (!row) throw ERRORS.FILE_NOT_FOUND;
    if (!(await this.deps.uploads.claim(id, 'active', 'finishing'))) {
      if (row.status === 'completed') throw ERRORS.FILE_NO_LONGER_EXISTS;
      throw new HttpError(409, 'This upload is being finished and cannot be terminated now');
    }
    await this.discard(row);
  }

  /** Removes a claimed upload's session and row. */
  async discard(row: TusUploadRow): Promise<void> {
    const { state } = sessionOf(row);
    await this.deps.sessions.abort(row.object_key, state);
    await this.deps.uploads.remove(row.id);
  }

  override getExpiration(): number {
    return this.deps.expiresInMs;
  }

  private async activeRow(id: string): Promise<TusUploadRow> {
    const row = await this.deps.uploads.find(id);
    if (!row) throw ERRORS.FILE_NOT_FOUND;
    if (row.status !== 'active' || Date.parse(row.expires_at) < Date.now()) throw ERRORS.FILE_NO_LONGER_EXISTS;
    return row;
  }

  /**
   * The type from the first bytes, against the allow/deny lists, before anything is stored: a refused upload is
   * terminated (415). A first request too short to tell is let through; the end checks again in any case.
   */
  private async checkHead(stream: Readable, row: TusUploadRow): Promise<Readable> {
    const sniffed = await sniffStream(stream);
    const length = row.upload_length === null ? null : Number(row.upload_length);
    const complete = sniffed.headBytes >= SNIFF_BYTES || (length !== null && sniffed.headBytes >= length);
    if (!complete) return sniffed.stream;
    const meta = readMetadata(JSON.parse(row.metadata) as Record<string, string | null>, this.deps.config);
    const lists = { allowed: this.deps.config.allowedTypes, denied: this.deps.config.deniedTypes };
    const check = checkMime(sniffed.mime, meta.mime, lists);
    if (check.ok) return sniffed.stream;
    if (await this.deps.uploads.claim(row.id, 'active', 'finishing')) await this.discard(row);
    throw new HttpError(check.status, `${check.message}; the upload was terminated`, { mime: sniffed.mime });
  }
}
