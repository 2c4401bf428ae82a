import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { lookup } from 'mime-types';
import { type ByteRange, ProviderError } from 'upload-provider';
import { PROVIDER_NAME } from './load.js';

export interface OpenedFile {
  stream: Readable;
  size: number;
  type: string;
}

/** The files a Strapi provider wrote under `public/` (as `@strapi/provider-upload-local` does), by their URL path. */
export class PublicFiles {
  private readonly root: string;
  constructor(publicDir: string) {
    this.root = resolve(publicDir);
  }

  /** The file a URL path (`/uploads/a_1.png`) names, or null when it would leave the folder or names a dot file. */
  fileFor(urlPath: string): string | null {
    let decoded: string;
    try {
      decoded = decodeURIComponent(urlPath);
    } catch {
      return null;
    }
    if (decoded.includes('\0') || decoded.includes('\\')) return null;
    const segments = decoded.split('/').filter((s) => s !== '');
    if (segments.length === 0 || segments.some((s) => s.startsWith('.'))) return null;
    const file = resolve(this.root, ...segments);
    return file.startsWith(this.root + sep) ? file : null;
  }

  /** Opens the file at a URL path, or the `range` of it. Rejects `NOT_FOUND`, or `INVALID_INPUT` for a bad range. */
  async open(urlPath: string, range?: ByteRange): Promise<OpenedFile> {
    const file = this.fileFor(urlPath);
    const info = file ? await stat(file).catch(() => null) : null;
    if (!file || !info?.isFile()) {
      throw new ProviderError('NOT_FOUND', `no object at ${urlPath}`, { provider: PROVIDER_NAME });
    }
    const type = lookup(file) || 'application/octet-stream';
    if (!range) return { stream: createReadStream(file), size: info.size, type };
    const end = Math.min(range.end ?? info.size - 1, info.size - 1);
    if (range.start >= info.size) {
      throw new ProviderError(
        'INVALID_INPUT',
        `the range starts at ${range.start}, past the object's ${info.size} bytes`,
        {
          provider: PROVIDER_NAME,
        },
      );
    }
    return { stream: createReadStream(file, { start: range.start, end }), size: end - range.start + 1, type };
  }
}
