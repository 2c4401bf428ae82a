import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FastifyBaseLogger } from 'fastify';
import {
  ByteCounter,
  buildKey,
  isProviderError,
  normalisePrefix,
  ProviderError,
  type StoredFile,
  type StoredRef,
  slugifyName,
  type UploadProvider,
} from 'upload-provider';
import type { UploadServerConfig } from '../config/schema.js';
import { checkMime, isInlineSafe, sniffStream } from '../content/index.js';
import { HttpError } from '../errors.js';
import { formatKey, type ImageProcessor } from '../images/index.js';
import { type FormatEntity, roundKb, storedFormats } from '../routes/strapi/entity.js';
import type { Journal, NewPendingObject } from '../store/journal.js';
import { type NewLink, nowIso, type Repository } from '../store/repository.js';
import type { FileEntityRow, FileRow, NewFileRow } from '../store/schema.js';
import { pauseForTest } from './test-pause.js';

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
  /** Every object written for this file (original and formats), for compensation. */
  objects: StoredRef[];
  /** Its keys in the journal, pending until a row owns them or they are removed. */
  pending: string[];
}

export interface CommitOptions {
  fileInfo?: FileInfo;
  links?: NewLink[];
  replaceId?: number;
}

export interface Ingest {
  ingest(input: IngestInput): Promise<FileEntityRow>;
  /** Checks and stores the bytes; writes no row. Leaves nothing behind when it rejects. */
  stage(input: IngestInput): Promise<StagedFile>;
  /** Writes the row (or replaces one); when it rejects, the staged objects are removed. */
  commit(staged: StagedFile, options?: CommitOptions): Promise<FileEntityRow>;
  /** Removes a staged file's objects (best effort, logged). */
  discard(staged: StagedFile): Promise<void>;
  /** Removes the objects of a deleted row (original and formats). */
  removeObjects(row: FileRow): Promise<void>;
  /**
   * Takes over an object that is already in the storage (a confirmed direct upload): reads it back through
   * `provider.read` to detect its type from its bytes and check the allow/deny lists and the size limit, records
   * image dimensions and makes formats, and returns it staged for {@link Ingest.commit}. When it rejects, the
   * formats it made are removed and so is the object itself (unless `keepOnFailure`).
   */
  adopt(input: AdoptInput): Promise<StagedFile>;
}

export interface AdoptInput {
  /** The object's key, as the provider reports it (without its own prefix). */
  key: string;
  providerMetadata?: Record<string, unknown> | null;
  /** The user's file name, for `name`, `ext` and downloads. */
  filename: string;
  /** The type the client declared. */
  claimedMime?: string;
  /** Size from `stat`, when known; otherwise counted while reading. */
  size?: number;
  folderPath?: string;
  withSecret?: boolean;
  signal?: AbortSignal;
  keepOnFailure?: boolean;
}

export type { ImageProcessor };

export interface IngestDeps {
  config: UploadServerConfig;
  provider: UploadProvider;
  repo: Repository;
  images: ImageProcessor | null;
  log: FastifyBaseLogger;
  journal: Journal;
  /** Spool folders in use: the sweep leaves them alone. */
  spoolFolders: Set<string>;
}

// Raster types sharp decodes: these are spooled to a temporary file so their size is probed before any byte is
// stored (a decompression bomb is refused without touching the storage) and formats are made from the file.
const RASTER = new Set(['image/jpeg', 'image/png', 'image/webp', 'image/gif', 'image/avif', 'image/tiff']);

// Control characters and characters that render invisibly or reorder text (bidi overrides).
// biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
const UNSAFE_NAME_CHARS = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;

/**
 * A display name safe to store and show: the last path segment only (`../../etc/passwd` → `passwd`), NFC, without
 * control or bidi-override characters, trimmed, at most 255 characters; `fallback` when nothing is left.
 */
export function sanitiseName(name: string | null | undefined, fallback = 'file'): string {
  const last = String(name ?? '')
    .normalize('NFC')
    .replace(UNSAFE_NAME_CHARS, '')
    .split(/[/\\]/)
    .pop()!
    .trim();
  const clean = last === '.' || last === '..' ? '' : last;
  return clean === '' ? fallback : [...clean].slice(0, 255).join('');
}

/** Strapi-style document ids: 24 lowercase alphanumerics. */
export function newDocumentId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(24);
  let out = '';
  for (const b of bytes) out += alphabet[b % 36];
  return out;
}

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

function tooLarge(limit: number): HttpError {
  return new HttpError(413, `The file is larger than the size limit of ${limit} bytes`, { limit });
}

/** Whether a failure means the body went over the size limit (ours, the multipart parser's, or the provider's). */
function isTooLarge(error: unknown, counter: ByteCounter, limit: number): boolean {
  if (counter.bytes > limit) return true;
  if (isProviderError(error, 'TOO_LARGE')) return true;
  const code = (error as { code?: string })?.code;
  if (code === 'FST_REQ_FILE_TOO_LARGE') return true;
  const cause = (error as { cause?: unknown })?.cause;
  return cause !== undefined && cause !== error && isTooLarge(cause, counter, limit);
}

function aborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

export function createIngest(deps: IngestDeps): Ingest {
  const { config, provider, repo, images, log, journal, spoolFolders } = deps;
  const limit = config.sizeLimit;
  const tempRoot = config.tempDir ?? tmpdir();

  /** Deletes `refs` and clears `pending` except the keys whose delete failed (the sweep retries those). */
  const compensate = async (refs: StoredRef[], pending: string[]) => {
    const failed = new Set<string>();
    await Promise.all(
      refs.map(async (ref) => {
        try {
          await provider.delete(ref);
        } catch (error) {
          failed.add(ref.key);
          log.error({ err: error, key: ref.key }, 'could not remove a stored object; the orphan sweep will retry');
        }
      }),
    );
    await journal.clear(pending.filter((key) => !failed.has(key))).catch((error: unknown) => {
      log.error({ err: error }, 'could not clear the upload journal; the orphan sweep will');
    });
  };

  /** The journal entries of an original and the formats it may get. */
  const pendingOf = (key: string, providerMetadata: Record<string, unknown> | null, raster: boolean) => {
    const entries: NewPendingObject[] = [{ key, providerMetadata }];
    if (raster && images && config.images.formats) {
      const names = [...(config.images.thumbnail ? ['thumbnail'] : []), ...Object.keys(config.images.breakpoints)];
      for (const format of names) entries.push({ key: formatKey(key, format), fileKey: key, format });
    }
    return entries;
  };

  const makeSpool = async (prefix: string) => {
    const dir = await mkdtemp(join(tempRoot, prefix));
    spoolFolders.add(dir);
    return dir;
  };
  const removeSpool = async (dir: string) => {
    await rm(dir, { recursive: true, force: true });
    spoolFolders.delete(dir);
  };

  const discard = (staged: StagedFile) => compensate(staged.objects, staged.pending);

  /** A row's objects (original and formats) as journal entries. */
  const pendingOfRow = (row: FileRow): NewPendingObject[] => [
    { key: row.object_key, providerMetadata: parseMetadata(row.provider_metadata) },
    ...Object.entries(storedFormats(row) ?? {}).map(([format, f]) => ({
      key: formatKey(row.object_key, format),
      fileKey: row.object_key,
      format,
      providerMetadata: f.provider_metadata ?? null,
    })),
  ];

  const removeObjects = async (row: FileRow) => {
    const entries = pendingOfRow(row);
    const refs = entries.map((e) => ({ key: e.key, providerMetadata: e.providerMetadata ?? null }));
    await compensate(
      refs,
      entries.map((e) => e.key),
    );
  };

  const stage = async (input: IngestInput): Promise<StagedFile> => {
    const { signal } = input;
    const counter = new ByteCounter(limit);
    const objects: StoredRef[] = [];
    let pending: string[] = [];
    let temp: string | undefined;
    try {
      if (aborted(signal)) throw new ProviderError('ABORTED', 'the upload was aborted');
      const sniffed = await sniffStream(input.stream);
      const check = checkMime(sniffed.mime, input.claimedMime, {
        allowed: config.allowedTypes,
        denied: config.deniedTypes,
      });
      if (!check.ok) {
        sniffed.stream.destroy();
        throw new HttpError(check.status, check.message, { mime: sniffed.mime });
      }
      const mime = check.mime;
      const { slug, ext: nameExt } = slugifyName(input.filename);
      const ext = nameExt || (sniffed.ext && mime === sniffed.mime ? `.${sniffed.ext}` : '');
      const random = randomBytes(5).toString('hex');
      const hash = `${slug}_${random}`;
      const prefix = input.folderPath ? normalisePrefix(input.folderPath) : '';
      const key = buildKey(`${slug}${ext}`, { prefix, random });
      const disposition = isInlineSafe(mime) ? 'inline' : 'attachment';
      const name = sanitiseName(input.filename);

      let stored: StoredFile;
      let width: number | null = null;
      let height: number | null = null;
      let formats: Record<string, FormatEntity> | null = null;
      const raster = RASTER.has(mime) && images !== null;
      // Write-ahead: the keys are pending before any byte reaches the storage.
      const entries = pendingOf(key, null, raster);
      await journal.record(entries);
      pending = entries.map((e) => e.key);
      if (raster || !provider.capabilities.unknownSize) {
        // Spool to a temporary file: bounded memory, a known size, and a file sharp can probe.
        const dir = await makeSpool('upload-server-');
        temp = dir;
        const path = join(dir, 'original');
        await pipeline(sniffed.stream, counter, createWriteStream(path, { highWaterMark: 1024 * 1024 }), { signal });
        if (raster && images) {
          const probed = await images.probe(path, mime);
          if (probed) {
            width = probed.width;
            height = probed.height;
          }
        }
        stored = await provider.upload(
          { key, body: createReadStream(path), size: counter.bytes, mime, name, disposition },
          { signal },
        );
        objects.push({ key: stored.key, providerMetadata: stored.providerMetadata ?? null });
        if (raster && images && width !== null && config.images.formats) {
          const made = await images.makeFormats({
            path,
            key: stored.key,
            name,
            hash,
            ext: ext || null,
            mime,
            provider,
            ...(signal ? { signal } : {}),
          });
          formats = Object.keys(made).length > 0 ? made : null;
          for (const [formatName, f] of Object.entries(made)) {
            objects.push({ key: formatKey(stored.key, formatName), providerMetadata: f.provider_metadata ?? null });
          }
        }
      } else {
        const body = sniffed.stream.pipe(counter);
        sniffed.stream.once('error', (e) => counter.destroy(e));
        stored = await provider.upload({ key, body, mime, name, disposition }, { signal });
        objects.push({ key: stored.key, providerMetadata: stored.providerMetadata ?? null });
      }
      if (counter.bytes > limit) throw tooLarge(limit);
      const secret = input.withSecret ? randomBytes(24).toString('base64url') : undefined;
      return {
        key: stored.key,
        filename: name,
        hash,
        ext: ext || null,
        mime,
        bytes: counter.bytes,
        width,
        height,
        stored,
        formats,
        folderPath: prefix ? `/${prefix}` : '/',
        ...(secret ? { secret } : {}),
        objects,
        pending,
      };
    } catch (error) {
      await compensate(objects, pending);
      input.stream.resume();
      if (error instanceof HttpError) throw error;
      if (isTooLarge(error, counter, limit)) throw tooLarge(limit);
      if (aborted(signal) || isProviderError(error, 'ABORTED')) {
        throw new HttpError(499, 'The upload was aborted by the client');
      }
      const sourceError = input.stream.errored;
      if (sourceError) {
        // The request body itself failed (cut short or malformed): the client's doing, not the storage's.
        throw new HttpError(400, `The upload body is malformed or ended early: ${sourceError.message}`);
      }
      if (isProviderError(error, 'INVALID_INPUT')) throw new HttpError(400, error.message);
      throw error;
    } finally {
      if (temp) await removeSpool(temp);
    }
  };

  /** A row owns the staged objects now: they are no longer pending. */
  const settle = async (staged: StagedFile) => {
    await journal.clear(staged.pending).catch((error: unknown) => {
      log.error({ err: error }, 'could not clear the upload journal; the orphan sweep will');
    });
  };

  const commit = async (staged: StagedFile, options: CommitOptions = {}): Promise<FileEntityRow> => {
    await pauseForTest('after-store');
    const now = nowIso();
    const info = options.fileInfo ?? {};
    const content = {
      width: staged.width,
      height: staged.height,
      formats: staged.formats ? JSON.stringify(staged.formats) : null,
      hash: staged.hash,
      ext: staged.ext,
      mime: staged.mime,
      size: roundKb(staged.bytes),
      size_in_bytes: staged.bytes,
      url: staged.stored.url,
      preview_url: null,
      provider: provider.name,
      provider_metadata: staged.stored.providerMetadata ? JSON.stringify(staged.stored.providerMetadata) : null,
      folder_path: staged.folderPath,
      object_key: staged.key,
      updated_at: now,
    };
    try {
      if (options.replaceId !== undefined) {
        const old = await repo.findFile(options.replaceId);
        if (!old) throw new HttpError(404, 'file.notFound');
        // The old objects are pending from before the row lets go of them until they are removed.
        await journal.record(pendingOfRow(old));
        const row = await repo.updateFile(options.replaceId, {
          ...content,
          name: info.name ? sanitiseName(info.name, staged.filename) : staged.filename,
          ...(info.alternativeText !== undefined ? { alternative_text: info.alternativeText } : {}),
          ...(info.caption !== undefined ? { caption: info.caption } : {}),
        });
        if (!row) throw new HttpError(404, 'file.notFound');
        await settle(staged);
        await removeObjects(old);
        return row;
      }
      const row: NewFileRow = {
        ...content,
        document_id: newDocumentId(),
        name: info.name ? sanitiseName(info.name, staged.filename) : staged.filename,
        alternative_text: info.alternativeText ?? null,
        caption: info.caption ?? null,
        secret_hash: staged.secret ? sha256Hex(staged.secret) : null,
        created_at: now,
      };
      const single = (link: NewLink) => config.contentTypes[link.ref]?.[link.field] === 'single';
      const inserted = await repo.insertFile(row, options.links ?? [], single);
      await settle(staged);
      return staged.secret ? { ...inserted, secret: staged.secret } : inserted;
    } catch (error) {
      await discard(staged);
      throw error;
    }
  };

  const ingest = async (input: IngestInput): Promise<FileEntityRow> => {
    const staged = await stage(input);
    return commit(staged, {
      ...(input.fileInfo ? { fileInfo: input.fileInfo } : {}),
      ...(input.links ? { links: input.links } : {}),
      ...(input.replaceId !== undefined ? { replaceId: input.replaceId } : {}),
    });
  };

  const adopt = async (input: AdoptInput): Promise<StagedFile> => {
    const { signal } = input;
    const ref: StoredRef = { key: input.key, providerMetadata: input.providerMetadata ?? null };
    const objects: StoredRef[] = [];
    let pending: string[] = [];
    let temp: string | undefined;
    let source: Readable | undefined;
    const counter = new ByteCounter(limit);
    try {
      if (!provider.read) {
        throw new ProviderError('UNSUPPORTED', `the ${provider.name} provider cannot read objects back to check them`);
      }
      source = await provider.read(ref);
      const sniffed = await sniffStream(source);
      const check = checkMime(sniffed.mime, input.claimedMime, {
        allowed: config.allowedTypes,
        denied: config.deniedTypes,
      });
      if (!check.ok) {
        sniffed.stream.destroy();
        throw new HttpError(check.status, check.message, { mime: sniffed.mime });
      }
      const mime = check.mime;
      const { slug, ext: nameExt } = slugifyName(input.filename);
      const ext = nameExt || (sniffed.ext && mime === sniffed.mime ? `.${sniffed.ext}` : '');
      const base = input.key.split('/').pop() ?? input.key;
      const dot = base.lastIndexOf('.');
      const hash = dot > 0 ? base.slice(0, dot) : base || slug;
      const name = sanitiseName(input.filename);
      let width: number | null = null;
      let height: number | null = null;
      let formats: Record<string, FormatEntity> | null = null;
      let bytes = input.size;
      // The object is in the storage already: from here until a row owns it, it is pending like a staged one.
      const entries = pendingOf(input.key, ref.providerMetadata ?? null, RASTER.has(mime) && images !== null);
      await journal.record(entries);
      pending = entries.map((e) => e.key);
      if (RASTER.has(mime) && images) {
        const dir = await makeSpool('upload-server-');
        temp = dir;
        const path = join(dir, 'original');
        await pipeline(sniffed.stream, counter, createWriteStream(path, { highWaterMark: 1024 * 1024 }), { signal });
        bytes = counter.bytes;
        const probed = await images.probe(path, mime);
        if (probed) {
          width = probed.width;
          height = probed.height;
        }
        if (probed && config.images.formats) {
          const made = await images.makeFormats({
            path,
            key: input.key,
            name,
            hash,
            ext: ext || null,
            mime,
            provider,
            ...(signal ? { signal } : {}),
          });
          formats = Object.keys(made).length > 0 ? made : null;
          for (const formatName of Object.keys(made)) {
            objects.push({
              key: formatKey(input.key, formatName),
              providerMetadata: made[formatName]?.provider_metadata ?? null,
            });
          }
        }
      } else if (bytes === undefined) {
        await pipeline(sniffed.stream, counter, new Writable({ write: (_c, _e, done) => done() }), { signal });
        bytes = counter.bytes;
      } else {
        // The type is known from the head; the size came from `stat`.
        sniffed.stream.destroy();
      }
      if (bytes > limit) throw tooLarge(limit);
      const secret = input.withSecret ? randomBytes(24).toString('base64url') : undefined;
      const prefix = input.folderPath ? normalisePrefix(input.folderPath) : '';
      return {
        key: input.key,
        filename: name,
        hash,
        ext: ext || null,
        mime,
        bytes,
        width,
        height,
        stored: {
          key: input.key,
          url: provider.url(ref),
          size: bytes,
          mime,
          providerMetadata: ref.providerMetadata ?? null,
        },
        formats,
        folderPath: prefix ? `/${prefix}` : '/',
        ...(secret ? { secret } : {}),
        objects: [ref, ...objects],
        pending,
      };
    } catch (error) {
      source?.destroy();
      // A kept original goes back to its owner (the direct upload): its entry is cleared with the rest.
      await compensate([...objects, ...(input.keepOnFailure ? [] : [ref])], pending);
      if (error instanceof HttpError) throw error;
      if (isTooLarge(error, counter, limit)) throw tooLarge(limit);
      throw error;
    } finally {
      if (temp) await removeSpool(temp);
    }
  };

  return { ingest, stage, commit, discard, removeObjects, adopt };
}

function parseMetadata(text: string | null): Record<string, unknown> | null {
  if (!text) return null;
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return null;
  }
}
