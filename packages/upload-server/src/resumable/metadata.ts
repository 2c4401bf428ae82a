import type { UploadServerConfig } from '../config/schema.js';
import { checkMime, essence } from '../content/index.js';
import { HttpError } from '../errors.js';
import { checkName } from '../files/names.js';
import { parseFileInfo, parseLinks } from '../http/form.js';
import type { NewLink } from '../store/repository.js';
import type { FileInfo } from '../uploads/index.js';

/** What a resumable upload's `Upload-Metadata` says, checked. */
export interface ResumableMetadata {
  filename: string;
  /** The type the client declared; the bytes decide (checked at the first bytes and again at the end). */
  mime: string;
  fileInfo?: FileInfo;
  links: NewLink[];
  /** Strapi's `path`: a folder for the key. */
  folder?: string;
}

type Pairs = Record<string, string | null> | undefined;

const problem = (field: string, message: string) =>
  new HttpError(400, message, { errors: [{ path: [field], message, name: 'ValidationError' }] });

function text(pairs: Pairs, ...names: string[]): string | undefined {
  for (const name of names) {
    const value = pairs?.[name];
    if (typeof value === 'string' && value !== '') return value;
  }
  return undefined;
}

/**
 * Reads `filename` (or Uppy's `name`), `filetype` (or `type`), `fileInfo` (JSON), `ref`/`refId`/`field` and `path`,
 * as `POST /api/upload` takes them. A declared type the lists refuse is a 415 before any byte is stored.
 */
export function readMetadata(
  pairs: Pairs,
  config: Pick<UploadServerConfig, 'contentTypes' | 'allowedTypes' | 'deniedTypes'>,
): ResumableMetadata {
  const filename = text(pairs, 'filename', 'name');
  if (!filename) {
    throw problem('filename', 'Upload-Metadata needs "filename": the file name, base64-encoded as tus wants');
  }
  if (filename.length > 255) throw problem('filename', 'filename must be at most 255 characters');
  checkName(filename, 'filename');
  const declared = essence(text(pairs, 'filetype', 'type') ?? null);
  if (declared) {
    const check = checkMime(declared, declared, { allowed: config.allowedTypes, denied: config.deniedTypes });
    if (!check.ok) throw new HttpError(check.status, check.message, { mime: declared });
  }
  const rawInfo = text(pairs, 'fileInfo');
  const [fileInfo] = parseFileInfo(rawInfo === undefined ? undefined : [rawInfo], 1);
  const links = parseLinks(
    config.contentTypes,
    { ref: text(pairs, 'ref'), refId: text(pairs, 'refId'), field: text(pairs, 'field') },
    1,
  );
  const folder = text(pairs, 'path');
  if (folder !== undefined && folder.length > 512) throw problem('path', 'path must be at most 512 characters');
  return {
    filename,
    mime: declared ?? 'application/octet-stream',
    ...(fileInfo ? { fileInfo } : {}),
    links,
    ...(folder !== undefined ? { folder } : {}),
  };
}
