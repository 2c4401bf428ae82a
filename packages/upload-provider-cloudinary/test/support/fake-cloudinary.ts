// A local stand-in for Cloudinary's Upload API, Admin API, download API and delivery CDN, as documented, written for
// these tests (no Cloudinary emulator exists). It stores bytes on disk as they stream in, and checks every signature
// with its own implementation of Cloudinary's algorithms (./signatures.ts), answering failures as Cloudinary does:
// a status the SDK understands and `{ "error": { "message" } }`.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Busboy } from '@fastify/busboy';
import { type Algorithm, apiSignature, deliverySignature, sameSignature, stringToSign } from './signatures.js';

export interface FakeCloudinaryOptions {
  cloudName: string;
  apiKey: string;
  apiSecret: string;
  dir: string;
  /** The account's signature algorithm. Default sha1. */
  algorithm?: Algorithm;
  /** The plan's largest asset, in bytes. Default 100 MB. */
  maxFileBytes?: number;
}

export interface StoredAsset {
  public_id: string;
  resource_type: string;
  type: string;
  format: string | undefined;
  bytes: number;
  version: number;
  etag: string;
  created_at: string;
  path: string;
  tags: string[];
  context: string | undefined;
}

interface ChunkSession {
  path: string;
  received: number;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Signed upload parameters are accepted for an hour after their timestamp. */
const SIGNATURE_LIFETIME = 3600;

const FORMAT_TYPES: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  pdf: 'application/pdf',
  mp4: 'video/mp4',
  webm: 'video/webm',
  mp3: 'audio/mpeg',
  json: 'application/json',
  txt: 'text/plain',
  html: 'text/html',
};

/** The format of an image or video from its first bytes (Cloudinary decodes the file; magic numbers do here). */
function detectFormat(head: Buffer): { kind: 'image' | 'video'; format: string } | undefined {
  const s = head.toString('latin1');
  if (s.startsWith('\x89PNG')) return { kind: 'image', format: 'png' };
  if (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return { kind: 'image', format: 'jpg' };
  if (s.startsWith('GIF8')) return { kind: 'image', format: 'gif' };
  if (s.startsWith('RIFF') && s.slice(8, 12) === 'WEBP') return { kind: 'image', format: 'webp' };
  // Cloudinary stores PDFs as images.
  if (s.startsWith('%PDF')) return { kind: 'image', format: 'pdf' };
  if (s.slice(4, 8) === 'ftyp') return { kind: 'video', format: 'mp4' };
  if (head[0] === 0x1a && head[1] === 0x45 && head[2] === 0xdf && head[3] === 0xa3)
    return { kind: 'video', format: 'webm' };
  if (s.startsWith('ID3')) return { kind: 'video', format: 'mp3' };
  return undefined;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

function fail(res: ServerResponse, error: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (error instanceof HttpError) {
    sendJson(res, error.status, { error: { message: error.message } });
    // A refused upload may still be sending its body: stop reading it.
    res.on('finish', () => {
      if (!res.req.complete) res.req.destroy();
    });
    return;
  }
  sendJson(res, 500, { error: { message: `General error: ${(error as Error).message}` } });
}

export class FakeCloudinary {
  readonly assets = new Map<string, StoredAsset>();
  /** Every request the server saw, `METHOD path` (no query), for tests that check what was called. */
  readonly requests: string[] = [];
  /** The `Content-Range` of every chunk received, in order. */
  readonly chunkRanges: string[] = [];
  /** The signed parameters of every accepted destroy call. */
  readonly destroys: Record<string, string>[] = [];
  /** When true, delivery ignores `Range` headers and sends whole files (as some CDNs and proxies do). */
  ignoreRanges = false;
  /** When true, the next stored upload loses its last byte (a backend that stores something else than was sent). */
  truncateNext = false;
  private readonly sessions = new Map<string, ChunkSession>();
  private readonly faults: { match: RegExp; status: number; message: string; times: number }[] = [];
  private server!: Server;
  private port = 0;
  private readonly algorithm: Algorithm;
  private readonly maxFileBytes: number;

  constructor(private readonly options: FakeCloudinaryOptions) {
    this.algorithm = options.algorithm ?? 'sha1';
    this.maxFileBytes = options.maxFileBytes ?? 100_000_000;
  }

  /** Base URL of the APIs (`upload_prefix`). */
  get apiUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Host of the delivery URLs (`cname`, used with `secure: false`). */
  get deliveryHost(): string {
    return `127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    await mkdir(join(this.options.dir, 'tmp'), { recursive: true });
    await mkdir(join(this.options.dir, 'assets'), { recursive: true });
    this.server = createServer((req, res) => {
      this.route(req, res).catch((e) => fail(res, e));
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Makes the next `times` requests whose `METHOD path` matches answer `status` with `message` (rate limits, outages). */
  failNext(match: RegExp, status: number, message: string, times = 1): void {
    this.faults.push({ match, status, message, times });
  }

  find(resourceType: string, type: string, publicId: string): StoredAsset | undefined {
    return this.assets.get(`${resourceType}/${type}/${publicId}`);
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const line = `${req.method} ${url.pathname}`;
    this.requests.push(line);
    const fault = this.faults.find((f) => f.times > 0 && f.match.test(line));
    if (fault) {
      fault.times -= 1;
      throw new HttpError(fault.status, fault.message);
    }
    const parts = url.pathname.split('/').slice(1);
    if (parts[0] === 'v1_1') {
      if (parts[1] !== this.options.cloudName) throw new HttpError(401, `Invalid cloud_name ${parts[1]}`);
      if (req.method === 'GET' && parts[2] === 'resources') return this.adminResource(req, res, parts.slice(3));
      const [resourceType, action] = [parts[2] ?? '', parts[3] ?? ''];
      if (!['image', 'video', 'raw', 'auto'].includes(resourceType)) throw new HttpError(404, 'Unknown resource type');
      if (req.method === 'POST' && action === 'upload') return this.upload(req, res, resourceType);
      if (req.method === 'POST' && action === 'destroy') return this.destroy(req, res, resourceType);
      if (req.method === 'GET' && action === 'download') return this.download(req, res, resourceType, url.searchParams);
      throw new HttpError(404, `No route ${req.method} ${url.pathname}`);
    }
    if (parts[0] === this.options.cloudName && req.method === 'GET') return this.deliver(req, res, parts.slice(1));
    throw new HttpError(404, 'Resource not found');
  }

  /** Checks an API request's credentials, signature and age, as Cloudinary does. */
  private verify(params: Record<string, string>, { stale = true } = {}): void {
    if (!params.api_key) throw new HttpError(401, 'Must supply api_key');
    if (params.api_key !== this.options.apiKey) throw new HttpError(401, `Unknown API key ${params.api_key}`);
    if (!params.signature) throw new HttpError(401, 'Missing required parameter - signature');
    if (!params.timestamp) throw new HttpError(401, 'Missing required parameter - timestamp');
    const expected = apiSignature(params, this.options.apiSecret, this.algorithm);
    if (!sameSignature(params.signature, expected)) {
      throw new HttpError(401, `Invalid Signature ${params.signature}. String to sign - '${stringToSign(params)}'.`);
    }
    const now = Math.floor(Date.now() / 1000);
    if (stale && now - Number(params.timestamp) > SIGNATURE_LIFETIME) {
      throw new HttpError(401, `Stale request - reported time is ${params.timestamp} which is more than 1 hour ago`);
    }
  }

  /** Reads a multipart request: fields into an object, the `file` part streamed into a temporary file. */
  private async readForm(
    req: IncomingMessage,
  ): Promise<{ fields: Record<string, string>; file?: { path: string; bytes: number } }> {
    const fields: Record<string, string> = {};
    let file: { path: string; bytes: number } | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        let writing: Promise<void> = Promise.resolve();
        let bb: InstanceType<typeof Busboy>;
        try {
          bb = new Busboy({ headers: req.headers as never, limits: { fieldSize: 1024 * 1024 } });
        } catch (e) {
          reject(new HttpError(400, `Invalid request: ${(e as Error).message}`));
          return;
        }
        bb.on('field', (name: string, value: string) => {
          fields[name] = value;
        });
        bb.on('file', (name: string, stream: NodeJS.ReadableStream) => {
          if (name !== 'file' || file) {
            stream.resume();
            return;
          }
          const entry = { path: join(this.options.dir, 'tmp', randomBytes(12).toString('hex')), bytes: 0 };
          file = entry;
          stream.on('data', (chunk: Buffer) => {
            entry.bytes += chunk.length;
          });
          writing = pipeline(stream, createWriteStream(entry.path, { highWaterMark: 1024 * 1024 }));
          writing.catch(() => undefined);
        });
        bb.on('finish', () => writing.then(resolve, reject));
        bb.on('error', (e: Error) => reject(new HttpError(400, `Invalid request: ${e.message}`)));
        // A client that goes away mid-body leaves no asset.
        req.on('aborted', () => reject(new Error('client aborted')));
        req.pipe(bb);
      });
    } catch (e) {
      const partial = file as { path: string } | undefined;
      if (partial) await rm(partial.path, { force: true });
      throw e;
    }
    return file ? { fields, file } : { fields };
  }

  private async upload(req: IncomingMessage, res: ServerResponse, resourceType: string): Promise<void> {
    let form: Awaited<ReturnType<FakeCloudinary['readForm']>> | undefined;
    const tempFiles: string[] = [];
    try {
      form = await this.readForm(req);
      if (form.file) tempFiles.push(form.file.path);
      const { fields, file } = form;
      this.verify(fields);
      if (!file) throw new HttpError(400, 'Missing required parameter - file');

      const range = req.headers['content-range'];
      const uploadId = req.headers['x-unique-upload-id'];
      let complete: { path: string; bytes: number } | undefined = file;
      if (typeof range === 'string') {
        this.chunkRanges.push(range);
        complete = await this.chunk(range, String(uploadId ?? ''), file);
        tempFiles.pop();
        if (!complete) {
          sendJson(res, 200, { done: false });
          return;
        }
        tempFiles.push(complete.path);
      }
      const asset = await this.store(resourceType, fields, complete);
      tempFiles.pop();
      sendJson(res, 200, this.describe(asset));
    } finally {
      for (const path of tempFiles) await rm(path, { force: true });
    }
  }

  /** Appends one chunk of a chunked upload; returns the whole file when the last chunk has arrived. */
  private async chunk(range: string, uploadId: string, part: { path: string; bytes: number }) {
    const m = /^bytes (\d+)-(\d+)\/(-1|\d+)$/.exec(range);
    if (!m || !uploadId) throw new HttpError(400, 'Invalid Content-Range or missing X-Unique-Upload-Id');
    const [start, end, total] = [Number(m[1]), Number(m[2]), Number(m[3])];
    if (end - start + 1 !== part.bytes)
      throw new HttpError(400, `Content-Range ${range} does not match the ${part.bytes} bytes sent`);
    let session = this.sessions.get(uploadId);
    if (!session) {
      if (start !== 0) throw new HttpError(400, `Chunked upload ${uploadId} must start at byte 0`);
      session = { path: join(this.options.dir, 'tmp', `chunked-${randomBytes(8).toString('hex')}`), received: 0 };
      this.sessions.set(uploadId, session);
    }
    if (start !== session.received)
      throw new HttpError(400, `Expected a chunk starting at ${session.received}, got ${start}`);
    await pipeline(createReadStream(part.path), createWriteStream(session.path, { flags: 'a' }));
    await rm(part.path, { force: true });
    session.received = end + 1;
    if (session.received > this.maxFileBytes) {
      this.sessions.delete(uploadId);
      await rm(session.path, { force: true });
      throw new HttpError(400, `File size too large. Got ${session.received}. Maximum is ${this.maxFileBytes}.`);
    }
    if (total === -1) return undefined;
    this.sessions.delete(uploadId);
    if (total !== session.received) {
      await rm(session.path, { force: true });
      throw new HttpError(400, `Chunked upload ended at ${session.received} bytes but declared ${total}`);
    }
    return { path: session.path, bytes: session.received };
  }

  private async store(
    requestedType: string,
    fields: Record<string, string>,
    file: { path: string; bytes: number },
  ): Promise<StoredAsset> {
    if (file.bytes === 0) throw new HttpError(400, 'Empty file');
    if (file.bytes > this.maxFileBytes)
      throw new HttpError(400, `File size too large. Got ${file.bytes}. Maximum is ${this.maxFileBytes}.`);
    const handle = await open(file.path, 'r');
    const head = Buffer.alloc(64);
    const { bytesRead } = await handle.read(head, 0, 64, 0);
    await handle.close();
    const detected = detectFormat(head.subarray(0, bytesRead));
    let resourceType = requestedType;
    if (requestedType === 'auto') resourceType = detected?.kind ?? 'raw';
    if (resourceType === 'image' && detected?.kind !== 'image') throw new HttpError(400, 'Invalid image file');
    if (resourceType === 'video' && detected?.kind !== 'video')
      throw new HttpError(400, 'Unsupported video format or file');
    const format = resourceType === 'raw' ? undefined : detected?.format;
    if (format && fields.allowed_formats) {
      const allowed = fields.allowed_formats.split(',').map((f) => f.trim().toLowerCase());
      if (!allowed.includes(format)) throw new HttpError(400, `${format} format is not allowed`);
    }
    const type = fields.type || 'upload';
    const publicId = fields.public_id || randomBytes(10).toString('hex');
    const key = `${resourceType}/${type}/${publicId}`;
    const existing = this.assets.get(key);
    if (existing && fields.overwrite === 'false') return existing;
    if (this.truncateNext) {
      this.truncateNext = false;
      const handle = await open(file.path, 'r+');
      await handle.truncate(file.bytes - 1);
      await handle.close();
      file.bytes -= 1;
    }
    const path = join(this.options.dir, 'assets', randomBytes(12).toString('hex'));
    const hash = createHash('md5');
    await pipeline(createReadStream(file.path), hash);
    await rename(file.path, path);
    const asset: StoredAsset = {
      public_id: publicId,
      resource_type: resourceType,
      type,
      format,
      bytes: file.bytes,
      version: Math.floor(Date.now() / 1000),
      etag: hash.digest('hex'),
      created_at: new Date().toISOString(),
      path,
      tags: fields.tags ? fields.tags.split(',') : [],
      context: fields.context,
    };
    this.assets.set(key, asset);
    if (existing) await rm(existing.path, { force: true });
    return asset;
  }

  private describe(a: StoredAsset): Record<string, unknown> {
    const file = a.format ? `${a.public_id}.${a.format}` : a.public_id;
    const url = `http://${this.deliveryHost}/${this.options.cloudName}/${a.resource_type}/${a.type}/v${a.version}/${file}`;
    return {
      asset_id: createHash('md5').update(`${a.resource_type}/${a.type}/${a.public_id}`).digest('hex'),
      public_id: a.public_id,
      version: a.version,
      resource_type: a.resource_type,
      type: a.type,
      ...(a.format ? { format: a.format } : {}),
      bytes: a.bytes,
      etag: a.etag,
      created_at: a.created_at,
      tags: a.tags,
      url,
      secure_url: url,
    };
  }

  private async destroy(req: IncomingMessage, res: ServerResponse, resourceType: string): Promise<void> {
    const { fields, file } = await this.readForm(req);
    if (file) await rm(file.path, { force: true });
    this.verify(fields);
    if (!fields.public_id) throw new HttpError(400, 'Missing required parameter - public_id');
    this.destroys.push(fields);
    const key = `${resourceType}/${fields.type || 'upload'}/${fields.public_id}`;
    const asset = this.assets.get(key);
    if (!asset) {
      sendJson(res, 200, { result: 'not found' });
      return;
    }
    this.assets.delete(key);
    await rm(asset.path, { force: true });
    sendJson(res, 200, { result: 'ok' });
  }

  /** `GET /v1_1/<cloud>/resources/<resource_type>/<type>/<public_id>`: Admin API, HTTP Basic authentication. */
  private async adminResource(req: IncomingMessage, res: ServerResponse, parts: string[]): Promise<void> {
    const auth = req.headers.authorization ?? '';
    const given = auth.startsWith('Basic ') ? Buffer.from(auth.slice(6), 'base64').toString('utf8') : '';
    const expected = `${this.options.apiKey}:${this.options.apiSecret}`;
    if (!sameSignature(given, expected)) throw new HttpError(401, 'Invalid credentials');
    const [resourceType, type, ...rest] = parts.map(decodeURIComponent);
    const publicId = rest.join('/');
    const asset = this.find(resourceType ?? '', type ?? '', publicId);
    if (!asset) throw new HttpError(404, `Resource not found - ${publicId}`);
    sendJson(res, 200, this.describe(asset));
  }

  /** `GET /v1_1/<cloud>/<resource_type>/download?...`: a signed, expiring download of the original. */
  private async download(
    req: IncomingMessage,
    res: ServerResponse,
    resourceType: string,
    query: URLSearchParams,
  ): Promise<void> {
    const params = Object.fromEntries(query.entries());
    this.verify(params, { stale: false });
    const expiresAt = params.expires_at ? Number(params.expires_at) : Number(params.timestamp) + SIGNATURE_LIFETIME;
    if (!(Date.now() / 1000 < expiresAt)) throw new HttpError(401, 'Download URL has expired');
    const asset = this.find(resourceType, params.type || 'upload', params.public_id ?? '');
    if (!asset) throw new HttpError(404, `Resource not found - ${params.public_id}`);
    if (params.format && asset.format && params.format !== asset.format)
      throw new HttpError(404, `Resource not found - ${params.public_id}.${params.format}`);
    const name = asset.public_id.split('/').pop() + (asset.format ? `.${asset.format}` : '');
    await this.serve(
      req,
      res,
      asset,
      params.attachment === 'true' ? `attachment; filename="${name.replace(/[^\x20-\x7e]|"/g, '_')}"` : undefined,
    );
  }

  /** `GET /<cloud>/<resource_type>/<type>/[s--sig--/][v<version>/]<public_id>[.<format>]`: the CDN. */
  private async deliver(req: IncomingMessage, res: ServerResponse, parts: string[]): Promise<void> {
    const [resourceType, type, ...rest] = parts;
    let signature: string | undefined;
    if (rest[0]?.startsWith('s--') && rest[0].endsWith('--')) signature = rest.shift()!.slice(3, -2);
    if (rest[0] && /^v\d+$/.test(rest[0])) rest.shift();
    const path = rest.join('/');
    if (type !== 'upload') {
      // Private and authenticated originals need a signed URL; these never expire.
      const expected = deliverySignature(path, this.options.apiSecret, this.algorithm);
      if (!signature || !sameSignature(signature, expected)) {
        res.setHeader('x-cld-error', 'Resource not found or access denied');
        throw new HttpError(401, 'Resource not found or access denied');
      }
    }
    const decoded = rest.map(decodeURIComponent).join('/');
    let asset = this.find(resourceType ?? '', type ?? '', decoded);
    if (!asset && resourceType !== 'raw') {
      const dot = decoded.lastIndexOf('.');
      const candidate =
        dot > decoded.lastIndexOf('/') ? this.find(resourceType ?? '', type ?? '', decoded.slice(0, dot)) : undefined;
      if (candidate && candidate.format === decoded.slice(dot + 1)) asset = candidate;
    }
    if (!asset) throw new HttpError(404, 'Resource not found');
    await this.serve(req, res, asset);
  }

  private async serve(
    req: IncomingMessage,
    res: ServerResponse,
    asset: StoredAsset,
    disposition?: string,
  ): Promise<void> {
    const size = (await stat(asset.path)).size;
    const ext = asset.format ?? asset.public_id.split('.').pop()?.toLowerCase() ?? '';
    const headers: Record<string, string | number> = {
      'content-type': FORMAT_TYPES[ext] ?? 'application/octet-stream',
      'accept-ranges': 'bytes',
      etag: `"${asset.etag}"`,
    };
    if (disposition) headers['content-disposition'] = disposition;
    const range = this.ignoreRanges ? undefined : req.headers.range;
    let start = 0;
    let end = size - 1;
    if (range) {
      const m = /^bytes=(\d*)-(\d*)$/.exec(range);
      if (!m || (m[1] === '' && m[2] === '')) throw new HttpError(416, 'Invalid range');
      if (m[1] === '') {
        start = Math.max(size - Number(m[2]), 0);
      } else {
        start = Number(m[1]);
        if (m[2] !== '') end = Math.min(Number(m[2]), size - 1);
      }
      if (start >= size || start > end) {
        res.writeHead(416, { 'content-range': `bytes */${size}` });
        res.end();
        return;
      }
      headers['content-range'] = `bytes ${start}-${end}/${size}`;
    }
    headers['content-length'] = end - start + 1;
    res.writeHead(range ? 206 : 200, headers);
    await pipeline(createReadStream(asset.path, { start, end }), res);
  }
}
