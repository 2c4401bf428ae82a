import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { Busboy, type BusboyHeaders } from '@fastify/busboy';
import type { FastifyRequest } from 'fastify';
import type { UploadServerConfig } from '../config/schema.js';
import { essence } from '../content/index.js';
import { HttpError } from '../errors.js';
import { checkName } from '../files/names.js';
import type { NewLink } from '../store/repository.js';
import { type FileInfo, type StagedFile, tooLarge, type Uploads } from '../uploads/index.js';

/** The non-file fields of an upload form, as sent. Repeated fields keep every value, in order. */
export type FormFields = Map<string, string[]>;

const FILE_FIELDS = new Set(['files', 'files[]']);
const MAX_FIELD_BYTES = 64 * 1024;
/** What one form may hold. Past these the upload is refused with a 413 that names the limit. */
const FORM_LIMITS = { files: 100, fields: 100, parts: 1000, headerPairs: 200 } as const;

/** Whether the body is a multipart form (its parser, registered in `app.ts`, leaves the body for `readUploadForm`). */
export function isMultipart(request: FastifyRequest): boolean {
  return essence(request.headers['content-type']) === 'multipart/form-data';
}

export interface ReadFormResult {
  fields: FormFields;
  staged: StagedFile[];
}

type FilePart = Readable & { truncated: boolean };
type Part =
  | { kind: 'file'; field: string; file: FilePart; filename: string | undefined; mime: string }
  | { kind: 'field'; field: string; value: string; truncated: boolean };

/**
 * The parts of a multipart body in the order they arrive, read by busboy. A part is handed out only when the one
 * before it is done with, so each file is streamed (or resumed) before the next is read; busboy's back-pressure holds
 * the body meanwhile. `close` stops reading: the rest of the body is left to the refusal's drain.
 */
function formParts(req: IncomingMessage, sizeLimit: number) {
  const parser = new Busboy({
    headers: req.headers as BusboyHeaders,
    limits: { ...FORM_LIMITS, fileSize: sizeLimit, fieldSize: MAX_FIELD_BYTES + 1 },
  });
  const queue: Part[] = [];
  let failure: unknown;
  let finished = false;
  let wake: (() => void) | undefined;
  /** The file part busboy is filling now: what a client that goes away leaves unfinished. */
  let filling: FilePart | undefined;
  const notify = () => {
    const resume = wake;
    wake = undefined;
    resume?.();
  };
  const fail = (error: unknown) => {
    failure ??= error;
    notify();
  };
  parser.on('file', (field: string, file: Readable, filename: string | undefined, _encoding: string, mime: string) => {
    // busboy reports a part cut short by emitting 'error' on its stream; destroying it with that error makes it the
    // stream's `errored`, the sign of a malformed body. A file never read (the form was refused) ends nothing.
    file.on('error', (error) => {
      if (!file.destroyed) file.destroy(error);
    });
    // Over the limit: fail the file now, instead of reading the rest of it for nothing.
    file.once('limit', () => file.destroy(tooLarge(sizeLimit)));
    filling = file as FilePart;
    file.once('end', () => {
      if (filling === file) filling = undefined;
    });
    queue.push({ kind: 'file', field: field ?? '', file: file as FilePart, filename, mime });
    notify();
  });
  parser.on('field', (field: string, value: string, _nameTruncated: boolean, valueTruncated: boolean) => {
    queue.push({ kind: 'field', field: field ?? '', value, truncated: valueTruncated });
    notify();
  });
  const overLimit = (what: string, limit: number) => () =>
    fail(new HttpError(413, `The form has more than ${limit} ${what}: send fewer in one request`, { limit }));
  parser.on('filesLimit', overLimit('files', FORM_LIMITS.files));
  parser.on('fieldsLimit', overLimit('fields', FORM_LIMITS.fields));
  parser.on('partsLimit', overLimit('parts', FORM_LIMITS.parts));
  parser.on('error', (error: Error) => fail(malformed(error)));
  parser.on('finish', () => {
    finished = true;
    notify();
  });
  // The client went away mid-body: nothing more will come, and whoever reads the unfinished file must hear so (busboy
  // does not: it only stops getting bytes).
  const onClose = () => {
    if (req.readableEnded) return;
    const error = malformed(new Error('the client closed the connection before the end of the form'));
    filling?.destroy(error);
    fail(error);
  };
  req.once('close', onClose);
  req.pipe(parser);

  return {
    async *[Symbol.asyncIterator](): AsyncGenerator<Part> {
      for (;;) {
        if (failure !== undefined) throw failure;
        const next = queue.shift();
        if (next) yield next;
        else if (finished) return;
        else await new Promise<void>((resolve) => (wake = resolve));
      }
    },
    close() {
      req.off('close', onClose);
      for (const part of queue) if (part.kind === 'file') part.file.resume();
      if (finished) return;
      req.unpipe(parser);
      parser.destroy();
    },
  };
}

function malformed(error: Error): HttpError {
  return new HttpError(400, `The multipart body is malformed: ${error.message}`);
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
  if (!isMultipart(request)) {
    throw new HttpError(400, 'Send the files as multipart/form-data, in a part named "files"');
  }
  const fields: FormFields = new Map();
  const staged: StagedFile[] = [];
  const fileFields = options.fileFields ?? FILE_FIELDS;
  let parts: ReturnType<typeof formParts> | undefined;
  try {
    try {
      parts = formParts(request.raw, ctx.config.sizeLimit);
    } catch (error) {
      // busboy refuses a Content-Type without a boundary when it is created.
      throw malformed(error as Error);
    }
    for await (const part of parts) {
      if (part.kind === 'file') {
        if (!fileFields.has(part.field)) {
          part.file.resume();
          throw new HttpError(
            400,
            `Unexpected file field "${part.field}": send files in parts named ${[...fileFields].map((f) => `"${f}"`).join(' or ')}`,
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
            claimedMime: part.mime,
            signal: options.signal,
            ...(path ? { folderPath: path } : {}),
            ...(options.withSecret ? { withSecret: true } : {}),
          }),
        );
      } else {
        if (part.field === 'path' && staged.length > 0) {
          // Files are stored as they stream in, so their folder must be known before the first one.
          throw new HttpError(400, 'Send the "path" field before the files: it decides where each file is stored');
        }
        if (part.truncated || Buffer.byteLength(part.value) > MAX_FIELD_BYTES)
          throw new HttpError(400, `The field "${part.field}" is too long`);
        const list = fields.get(part.field) ?? [];
        list.push(part.value);
        fields.set(part.field, list);
      }
    }
  } catch (error) {
    parts?.close();
    await Promise.all(staged.map((s) => ctx.uploads.discard(s)));
    throw error;
  }
  parts.close();
  return { fields, staged };
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
