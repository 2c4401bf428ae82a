import type { FastifyRequest } from 'fastify';
import type { UploadServerConfig } from '../config/schema.js';
import { HttpError } from '../errors.js';
import { checkName } from '../files/names.js';
import type { NewLink } from '../store/repository.js';
import { type FileInfo, type StagedFile, tooLarge, type Uploads } from '../uploads/index.js';

/** The non-file fields of an upload form, as sent. Repeated fields keep every value, in order. */
export type FormFields = Map<string, string[]>;

const FILE_FIELDS = new Set(['files', 'files[]']);
const MAX_FIELD_BYTES = 64 * 1024;

export interface ReadFormResult {
  fields: FormFields;
  staged: StagedFile[];
}

/**
 * Reads a multipart upload part by part. Each file part is streamed through the ingest pipeline as it arrives
 * (its objects are stored, no row yet), so files of any size pass with bounded memory; fields are collected,
 * because clients send `fileInfo` before or after the files. On any failure every staged file is discarded.
 */
export async function readUploadForm(
  request: FastifyRequest,
  ctx: { uploads: Uploads; config: Pick<UploadServerConfig, 'sizeLimit'> },
  options: { maxFiles?: number; signal: AbortSignal; withSecret?: boolean; fileFields?: Set<string> },
): Promise<ReadFormResult> {
  if (!request.isMultipart()) {
    throw new HttpError(400, 'Send the files as multipart/form-data, in a part named "files"');
  }
  const fields: FormFields = new Map();
  const staged: StagedFile[] = [];
  const fileFields = options.fileFields ?? FILE_FIELDS;
  try {
    for await (const part of request.parts()) {
      if (part.type === 'file') {
        if (!fileFields.has(part.fieldname)) {
          part.file.resume();
          throw new HttpError(
            400,
            `Unexpected file field "${part.fieldname}": send files in parts named ${[...fileFields].map((f) => `"${f}"`).join(' or ')}`,
          );
        }
        if (options.maxFiles !== undefined && staged.length >= options.maxFiles) {
          part.file.resume();
          throw new HttpError(400, 'Cannot replace a file with multiple ones: send one file');
        }
        if (part.filename) checkName(part.filename, 'filename');
        const path = firstField(fields, 'path');
        const file = part.file;
        staged.push(
          await ctx.uploads.stage({
            stream: file,
            truncated: () => file.truncated,
            filename: part.filename || 'file',
            claimedMime: part.mimetype,
            signal: options.signal,
            ...(path ? { folderPath: path } : {}),
            ...(options.withSecret ? { withSecret: true } : {}),
          }),
        );
      } else {
        if (part.fieldname === 'path' && staged.length > 0) {
          // Files are stored as they stream in, so their folder must be known before the first one.
          throw new HttpError(400, 'Send the "path" field before the files: it decides where each file is stored');
        }
        const value = typeof part.value === 'string' ? part.value : String(part.value ?? '');
        if (Buffer.byteLength(value) > MAX_FIELD_BYTES)
          throw new HttpError(400, `The field "${part.fieldname}" is too long`);
        const list = fields.get(part.fieldname) ?? [];
        list.push(value);
        fields.set(part.fieldname, list);
      }
    }
  } catch (error) {
    await Promise.all(staged.map((s) => ctx.uploads.discard(s)));
    throw mapMultipartError(error, ctx.config.sizeLimit);
  }
  return { fields, staged };
}

function mapMultipartError(error: unknown, sizeLimit: number): unknown {
  const code = (error as { code?: string })?.code;
  if (code === 'FST_REQ_FILE_TOO_LARGE') return tooLarge(sizeLimit);
  if (code === 'FST_FILES_LIMIT' || code === 'FST_PARTS_LIMIT' || code === 'FST_FIELDS_LIMIT') {
    return new HttpError(413, (error as Error).message);
  }
  if (code === 'FST_INVALID_MULTIPART_CONTENT_TYPE') return new HttpError(400, 'The body is not multipart/form-data');
  if (
    error instanceof Error &&
    /Unexpected end of (form|multipart)|Part terminated early|Malformed part header|Multipart: Boundary not found/i.test(
      error.message,
    )
  ) {
    return new HttpError(400, `The multipart body is malformed: ${error.message}`);
  }
  return error;
}

export function firstField(fields: FormFields, name: string): string | undefined {
  return fields.get(name)?.[0];
}

function fileInfoProblem(value: unknown, where: string): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return `${where} must be an object`;
  for (const [k, v] of Object.entries(value)) {
    if (!['name', 'alternativeText', 'caption', 'folder'].includes(k)) continue;
    if (k === 'folder') continue;
    if (v !== null && typeof v !== 'string') return `${where}.${k} must be a string or null`;
    if (k === 'name' && typeof v === 'string' && v.trim() === '') return `${where}.name must not be empty`;
  }
  return undefined;
}

function pickInfo(value: Record<string, unknown>): FileInfo {
  const info: FileInfo = {};
  if ('name' in value) info.name = value.name as string | null;
  if ('alternativeText' in value) info.alternativeText = value.alternativeText as string | null;
  if ('caption' in value) info.caption = value.caption as string | null;
  return info;
}

/**
 * `fileInfo` as Strapi takes it: one JSON object for one file; for several files a JSON array (one per file, in
 * order) or one `fileInfo` field per file. Raw values may already be objects (a JSON request body).
 */
export function parseFileInfo(raw: unknown[] | undefined, fileCount: number): FileInfo[] {
  if (!raw || raw.length === 0) return [];
  const values: unknown[] = [];
  for (const item of raw) {
    let value = item;
    if (typeof item === 'string') {
      try {
        value = JSON.parse(item);
      } catch {
        throw new HttpError(400, 'fileInfo must be valid JSON', {
          errors: [{ path: ['fileInfo'], message: 'fileInfo must be valid JSON', name: 'ValidationError' }],
        });
      }
    }
    if (Array.isArray(value)) values.push(...value);
    else values.push(value);
  }
  if (values.length > Math.max(fileCount, 1)) {
    throw new HttpError(400, `fileInfo has ${values.length} entries but ${fileCount} file(s) were sent`, {
      errors: [{ path: ['fileInfo'], message: 'one fileInfo per file', name: 'ValidationError' }],
    });
  }
  return values.map((v, i) => {
    const where = values.length > 1 ? `fileInfo[${i}]` : 'fileInfo';
    const problem = fileInfoProblem(v, where);
    if (problem) {
      throw new HttpError(400, problem, { errors: [{ path: [where], message: problem, name: 'ValidationError' }] });
    }
    const info = pickInfo(v as Record<string, unknown>);
    if (typeof info.name === 'string') checkName(info.name, `${where}.name`);
    return info;
  });
}

/** `ref`, `refId`, `field`: all or none, to a declared content type and media field. */
export function parseLinks(
  contentTypes: UploadServerConfig['contentTypes'],
  values: { ref?: unknown; refId?: unknown; field?: unknown },
  fileCount: number,
): NewLink[] {
  const { ref, refId, field } = values;
  const given = [ref, refId, field].filter((v) => v !== undefined && v !== null && v !== '');
  if (given.length === 0) return [];
  const problems: Array<{ path: string[]; message: string; name: string }> = [];
  for (const [name, value] of Object.entries({ ref, refId, field })) {
    if (value === undefined || value === null || value === '') {
      problems.push({
        path: [name],
        message: `${name} is required with ref, refId and field`,
        name: 'ValidationError',
      });
    } else if (typeof value !== 'string' && typeof value !== 'number') {
      problems.push({ path: [name], message: `${name} must be a string`, name: 'ValidationError' });
    }
  }
  if (problems.length > 0) {
    throw new HttpError(400, problems.map((p) => p.message).join('; '), { errors: problems });
  }
  const refS = String(ref);
  const fieldS = String(field);
  const type = contentTypes[refS];
  if (!type) {
    const known = Object.keys(contentTypes);
    throw new HttpError(
      400,
      `Unknown ref "${refS}": declare it under contentTypes in the server config${known.length ? ` (declared: ${known.join(', ')})` : ''}`,
      { errors: [{ path: ['ref'], message: 'unknown content type', name: 'ValidationError' }] },
    );
  }
  const kind = type[fieldS];
  if (!kind) {
    throw new HttpError(
      400,
      `"${refS}" has no media field "${fieldS}" (its media fields: ${Object.keys(type).join(', ') || 'none'})`,
      { errors: [{ path: ['field'], message: 'unknown media field', name: 'ValidationError' }] },
    );
  }
  if (kind === 'single' && fileCount > 1) {
    throw new HttpError(400, `The field "${fieldS}" of "${refS}" holds a single file: send one file`, {
      errors: [{ path: ['field'], message: 'single media field', name: 'ValidationError' }],
    });
  }
  return [{ ref: refS, refId: String(refId), field: fieldS }];
}
