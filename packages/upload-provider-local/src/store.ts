import { createHash, randomBytes } from 'node:crypto';
import { constants, createWriteStream, open as openFd, type Stats, type WriteStream } from 'node:fs';
import {
  type FileHandle,
  lstat,
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  rm,
  rmdir,
  stat,
  writeFile,
} from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { ByteCounter, joinKey, ProviderError, toProviderError } from 'upload-provider';

/** The provider's own folder inside the root: temporary files and metadata sidecars. Never a key, never served. */
export const INTERNAL_DIR = '.upload-provider-local';
/**
 * The provider's temporary files: `upl-<32 hex>.part` for bytes, `.part.json` for their metadata. `cleanup` removes
 * only names of this shape (and the bare hex names earlier versions used), so nothing else in the folder is touched.
 */
const TEMP_NAME = /^(upl-)?[0-9a-f]{32}(\.part)?(\.json)?$/;
/** How often a rename into place is tried while concurrent deletes keep pruning its folder. */
const PLACE_ATTEMPTS = 10;
/** Most filesystems refuse a file name longer than 255 bytes. */
const MAX_SEGMENT_BYTES = 255;
/** A metadata sidecar is small by construction; this bounds what one upload may attach. */
const MAX_META_BYTES = 64 * 1024;
/** 1 MiB writes are about twice as fast as the 64 KiB default on these disks (TOOLCHAIN.md). */
const WRITE_HIGH_WATER_MARK = 1024 * 1024;

/** What is kept beside each file so it can be served back as it was uploaded. */
export interface FileMeta {
  key: string;
  mime: string;
  name?: string | undefined;
  disposition?: 'inline' | 'attachment' | undefined;
  cacheControl?: string | undefined;
  metadata?: Record<string, string> | undefined;
}

export interface WriteOptions {
  /** Refuse with `TOO_LARGE` as soon as more bytes than this arrive. */
  maxBytes?: number | undefined;
  /** Refuse with `INVALID_INPUT` when fewer bytes than this arrive. */
  minBytes?: number | undefined;
  signal?: AbortSignal | undefined;
  meta: FileMeta;
}

export interface OpenFile {
  handle: FileHandle;
  stats: Stats;
}

/** An entity tag that changes whenever the file is replaced (new inode) or rewritten. */
export function etagOf(stats: Stats): string {
  const mtime = Math.round(stats.mtimeMs * 1000);
  return `"${stats.ino.toString(16)}-${stats.size.toString(16)}-${mtime.toString(16)}"`;
}

function code(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null ? ((error as { code?: unknown }).code as string) : undefined;
}

/**
 * Files on disk under one root. Objects live at `<root>/<prefix>/<key>`; temporary files and metadata live in
 * `<root>/.upload-provider-local/`, a name no key may start with, so they are never reachable through a key or a URL.
 */
export class DiskStore {
  readonly root: string;
  private readonly tmpDir: string;
  private readonly metaDir: string;

  constructor(
    root: string,
    private readonly prefix: string | undefined,
    private readonly fsync: boolean,
    private readonly provider: string,
  ) {
    this.root = resolve(root);
    this.tmpDir = join(this.root, INTERNAL_DIR, 'tmp');
    this.metaDir = join(this.root, INTERNAL_DIR, 'meta');
  }

  private error(code: ConstructorParameters<typeof ProviderError>[0], message: string, cause?: unknown) {
    return new ProviderError(code, message, { provider: this.provider, cause });
  }

  /** The key with this provider's prefix, checked by the core and against the provider's reserved folder. */
  objectName(key: string): string {
    let name: string;
    try {
      name = joinKey(this.prefix, key);
    } catch (error) {
      throw toProviderError(error, 'INVALID_INPUT', 'invalid key', { provider: this.provider });
    }
    const segments = name.split('/');
    if (segments[0] === INTERNAL_DIR) {
      throw this.error('INVALID_INPUT', `a key must not start with "${INTERNAL_DIR}", which the provider reserves`);
    }
    for (const segment of segments) {
      if (Buffer.byteLength(segment, 'utf8') > MAX_SEGMENT_BYTES) {
        throw this.error(
          'INVALID_INPUT',
          `each "/"-separated part of a key must be at most ${MAX_SEGMENT_BYTES} bytes`,
        );
      }
    }
    return name;
  }

  /** Where an object's bytes live. Defence in depth: refuses any path that resolves outside the root. */
  filePath(objectName: string): string {
    const path = resolve(this.root, ...objectName.split('/'));
    if (!path.startsWith(this.root + sep) || path.startsWith(join(this.root, INTERNAL_DIR) + sep)) {
      throw this.error('INVALID_INPUT', 'the key resolves outside the storage root');
    }
    return path;
  }

  /** Sidecars are named by a hash of the object name: no clash between `a` and `a.json`, no folder games. */
  private metaPath(objectName: string): string {
    const hash = createHash('sha256').update(objectName, 'utf8').digest('hex');
    return join(this.metaDir, hash.slice(0, 2), `${hash}.json`);
  }

  /** Temporary files this process is writing now: `cleanup` leaves them, however old they look. */
  private readonly writing = new Set<string>();

  private tmpPath(): string {
    return join(this.tmpDir, `upl-${randomBytes(16).toString('hex')}.part`);
  }

  /**
   * Streams `source` into a temporary file, checks its length, then renames it into place with its metadata, so a
   * reader sees the old file or the whole new one, never part of one. On any failure nothing is left behind.
   */
  async write(objectName: string, source: Readable, options: WriteOptions): Promise<Stats> {
    const target = this.filePath(objectName);
    const meta = JSON.stringify(options.meta);
    if (Buffer.byteLength(meta, 'utf8') > MAX_META_BYTES) {
      source.destroy();
      throw this.error('INVALID_INPUT', `the file's name and metadata must be under ${MAX_META_BYTES} bytes of JSON`);
    }
    const tmp = this.tmpPath();
    const metaTmp = `${tmp}.json`;
    this.writing.add(tmp);
    const metaPath = this.metaPath(objectName);
    let metaPlaced = false;
    // The source may fail while we open the file, before the pipeline listens: keep that from crashing the process.
    const swallow = () => undefined;
    source.on('error', swallow);
    let out: WriteStream | undefined;
    try {
      out = await this.createTemp(tmp);
      if (source.errored) throw source.errored;
      // A declared size is held by the core's guard before the body gets here; a direct upload's bounds are ours.
      const bounded = options.maxBytes !== undefined || options.minBytes !== undefined;
      const counter = bounded ? new ByteCounter(options.maxBytes, this.provider) : undefined;
      const signal = options.signal ? [{ signal: options.signal }] : [];
      await (counter ? pipeline(source, counter, out, ...signal) : pipeline(source, out, ...signal));
      if (counter && options.minBytes !== undefined && counter.bytes < options.minBytes) {
        throw this.error(
          'INVALID_INPUT',
          `the file has ${counter.bytes} bytes; at least ${options.minBytes} are required`,
        );
      }
      if (this.fsync) await syncPath(tmp);
      // Metadata first: once the file is visible, its metadata is too. A rename keeps the inode and the times, so
      // the temporary file's stats are the placed file's.
      const [stats] = await Promise.all([stat(tmp), this.writeMeta(metaPath, metaTmp, meta)]);
      metaPlaced = true;
      options.signal?.throwIfAborted();
      await this.placeInto(tmp, target);
      if (this.fsync) await syncPath(dirname(target)).catch(() => undefined);
      return stats;
    } catch (error) {
      source.destroy();
      // The stream owns the temporary file's descriptor: let it close (a no-op when the pipeline did), then remove.
      const stream = out;
      stream?.destroy();
      if (stream && !stream.closed) await new Promise<void>((resolve) => stream.once('close', () => resolve()));
      await rm(tmp, { force: true }).catch(() => undefined);
      await rm(metaTmp, { force: true }).catch(() => undefined);
      if (metaPlaced) await rm(metaPath, { force: true }).catch(() => undefined);
      throw this.fsError(error, 'store the file');
    } finally {
      source.off('error', swallow);
      this.writing.delete(tmp);
    }
  }

  /**
   * Writes an object's metadata sidecar. A new key's is written in place (no reader looks for it before its object
   * exists, and a write that fails removes what it made); one that exists is replaced through `tmp` and a rename, so
   * a reader sees the old or the new one whole.
   */
  private async writeMeta(path: string, tmp: string, meta: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await writeFile(path, meta, { flag: 'wx' });
        return;
      } catch (error) {
        if (code(error) === 'EEXIST') break;
        if (code(error) !== 'ENOENT' || attempt >= PLACE_ATTEMPTS) {
          await rm(path, { force: true }).catch(() => undefined);
          throw error;
        }
        await mkdir(dirname(path), { recursive: true });
      }
    }
    await writeFile(tmp, meta, { flag: 'wx' });
    await this.placeInto(tmp, path);
  }

  /**
   * Creates a temporary file for writing. The temporary folder is made only when the open finds it missing (the
   * first upload, or someone removed it), not on every upload.
   */
  private async createTemp(path: string): Promise<WriteStream> {
    let fd: number;
    try {
      fd = await openNew(path);
    } catch (error) {
      if (code(error) !== 'ENOENT') throw error;
      await mkdir(this.tmpDir, { recursive: true });
      fd = await openNew(path);
    }
    // The stream owns the descriptor from here: it closes it when it finishes or is destroyed.
    return createWriteStream(path, { fd, highWaterMark: WRITE_HIGH_WATER_MARK });
  }

  /**
   * Removes temporary files older than `olderThan` that no write in this process owns: what a killed process left.
   * Only names the provider gives its temporary files are matched; objects and other programs' files are never read.
   */
  async cleanup(olderThan: Date): Promise<number> {
    let names: string[];
    try {
      names = await readdir(this.tmpDir);
    } catch (error) {
      if (code(error) === 'ENOENT') return 0;
      throw this.fsError(error, 'list temporary files');
    }
    let removed = 0;
    for (const name of names) {
      const path = join(this.tmpDir, name);
      const bytesPath = path.replace(/\.json$/, '');
      if (!TEMP_NAME.test(name) || this.writing.has(bytesPath)) continue;
      try {
        const stats = await lstat(path);
        if (!stats.isFile() || stats.mtimeMs >= olderThan.getTime()) continue;
        await rm(path);
        removed++;
      } catch (error) {
        if (code(error) !== 'ENOENT') throw this.fsError(error, 'remove a temporary file');
      }
    }
    return removed;
  }

  /**
   * Renames into place, making the folder when it is missing. A concurrent delete may prune an emptied folder between
   * any two steps (even inside a recursive mkdir), which shows as ENOENT or ENOTDIR: make the folders again and retry.
   */
  private async placeInto(from: string, to: string): Promise<void> {
    // The folder usually exists already: rename first, and make folders only when the rename says they are missing.
    for (let attempt = 1; ; attempt++) {
      try {
        if (attempt > 1) await mkdir(dirname(to), { recursive: true });
        await rename(from, to);
        return;
      } catch (error) {
        // A recursive mkdir that meets a folder being pruned can answer ENOTDIR (its check of the existing folder
        // finds it gone); a real clash with a file answers ENOTDIR every time and still fails after the last attempt.
        if (!['ENOENT', 'ENOTDIR'].includes(code(error) ?? '') || attempt >= PLACE_ATTEMPTS) throw error;
      }
    }
  }

  /** Opens an object for reading, or null when there is no such file. */
  async open(objectName: string): Promise<OpenFile | null> {
    const path = this.filePath(objectName);
    let handle: FileHandle;
    try {
      // O_NOFOLLOW: a symbolic link planted in the root is never followed out of it.
      handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
    } catch (error) {
      if (['ENOENT', 'ENOTDIR', 'ELOOP', 'EISDIR'].includes(code(error) ?? '')) return null;
      throw this.fsError(error, 'open the file');
    }
    try {
      const stats = await handle.stat();
      if (!stats.isFile()) {
        await handle.close();
        return null;
      }
      return { handle, stats };
    } catch (error) {
      await handle.close().catch(() => undefined);
      throw this.fsError(error, 'open the file');
    }
  }

  async stat(objectName: string): Promise<Stats | null> {
    try {
      const stats = await stat(this.filePath(objectName));
      return stats.isFile() ? stats : null;
    } catch (error) {
      if (['ENOENT', 'ENOTDIR'].includes(code(error) ?? '')) return null;
      throw this.fsError(error, 'stat the file');
    }
  }

  /** The stored metadata, or null when the object has none (e.g. a file copied into the root by hand). */
  async readMeta(objectName: string): Promise<FileMeta | null> {
    try {
      const parsed = JSON.parse(await readFile(this.metaPath(objectName), 'utf8')) as FileMeta;
      return parsed.key === objectName ? parsed : null;
    } catch {
      return null;
    }
  }

  /**
   * Moves a finished file that is already on this disk (a resumable session's bytes, see resumable.ts) into place
   * with its metadata, as `write` ends: a rename, no copy.
   */
  async place(objectName: string, from: string, meta: FileMeta): Promise<Stats> {
    const target = this.filePath(objectName);
    const metaTmp = `${from}.json`;
    try {
      await writeFile(metaTmp, JSON.stringify(meta));
      await this.placeInto(metaTmp, this.metaPath(objectName));
      if (this.fsync) await syncPath(from);
      await this.placeInto(from, target);
      return await stat(target);
    } catch (error) {
      await rm(metaTmp, { force: true }).catch(() => undefined);
      throw this.fsError(error, 'store the file');
    }
  }

  /** Removes the object and its metadata; resolves when they are already gone. Prunes folders left empty. */
  async remove(objectName: string): Promise<void> {
    const path = this.filePath(objectName);
    try {
      await rm(path, { force: true });
      await rm(this.metaPath(objectName), { force: true });
    } catch (error) {
      if (code(error) === 'ENOTDIR') return;
      throw this.fsError(error, 'delete the file');
    }
    await this.prune(dirname(path), this.root);
    await this.prune(dirname(this.metaPath(objectName)), this.metaDir);
  }

  private async prune(dir: string, stop: string): Promise<void> {
    while (dir.startsWith(stop + sep)) {
      try {
        await rmdir(dir);
      } catch {
        return; // not empty, or gone: either way, stop
      }
      dir = dirname(dir);
    }
  }

  /** Maps a filesystem error onto the contract's codes. */
  fsError(error: unknown, action: string): ProviderError {
    const c = code(error);
    const message = (error as Error)?.message ?? String(error);
    const opts = { provider: this.provider };
    switch (c) {
      case 'EACCES':
      case 'EPERM':
      case 'EROFS':
        return toProviderError(error, 'ACCESS_DENIED', `cannot ${action}: ${message}`, opts);
      case 'ENOSPC':
      case 'EDQUOT':
      case 'EMFILE':
      case 'ENFILE':
      case 'EIO':
      case 'EBUSY':
        return toProviderError(error, 'UNAVAILABLE', `cannot ${action}: ${message}`, opts);
      case 'ENOTDIR':
      case 'EISDIR':
      case 'EEXIST':
      case 'ENOTEMPTY':
        return toProviderError(
          error,
          'INVALID_INPUT',
          `cannot ${action}: the key clashes with an existing file or folder (${c})`,
          opts,
        );
      case 'ENAMETOOLONG':
        return toProviderError(
          error,
          'INVALID_INPUT',
          `cannot ${action}: the path is too long for the filesystem`,
          opts,
        );
      default:
        return toProviderError(error, 'INTERNAL', `cannot ${action}: ${message}`, opts);
    }
  }
}

const openFd$ = promisify(openFd);

/** Opens a new file for writing; refuses (EEXIST) to open one that exists. */
function openNew(path: string): Promise<number> {
  return openFd$(path, 'wx');
}

async function syncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
