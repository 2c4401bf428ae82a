import { createWriteStream } from 'node:fs';
import { mkdir, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  ByteCounter,
  type ResumableSessions,
  type ResumableState,
  type StoredFile,
  type UploadProvider,
} from 'upload-provider';
import { isInlineSafe } from '../content/index.js';

/** The provider's own sessions, when it declares them. */
export function resumableOf(provider: UploadProvider): ResumableSessions | null {
  return provider.capabilities.resumable === true && provider.resumable ? provider.resumable : null;
}

/** Where a resumable upload's bytes go while they arrive: the storage's own session, or a file in `tempDir`. */
export type SessionKind = 'native' | 'temp';

/** What the database keeps of a session (the `session` column, as JSON). */
export interface StoredSession {
  kind: SessionKind;
  state: ResumableState;
}

export interface SessionInput {
  /** The tus upload id. */
  id: string;
  key: string;
  mime: string;
  name: string;
  size: number | null;
}

/** The operations the tus data store runs on a session, whichever kind it is. */
export interface Sessions {
  readonly kind: SessionKind;
  create(input: SessionInput): Promise<ResumableState>;
  /** Writes `body` at `offset`; bytes that arrived before the body ended or broke count. */
  append(
    key: string,
    state: ResumableState,
    body: Readable,
    offset: number,
  ): Promise<{ state: ResumableState; offset: number }>;
  /** Removes everything the session stored (idempotent). */
  abort(key: string, state: ResumableState): Promise<void>;
}

/** The provider's own resumable sessions (`capabilities.resumable`). */
export function nativeSessions(provider: UploadProvider): Sessions & {
  complete(key: string, state: ResumableState, size: number): Promise<StoredFile>;
} {
  const methods = resumableOf(provider);
  if (!methods) throw new Error(`${provider.name} has no resumable sessions`);
  return {
    kind: 'native',
    create: ({ key, mime, name, size }) =>
      methods.create({
        key,
        mime,
        name,
        // Served inline only when the declared type is safe to show; the bytes are checked before the row exists.
        disposition: isInlineSafe(mime) ? 'inline' : 'attachment',
        ...(size === null ? {} : { size }),
      }),
    append: (key, state, body, offset) => methods.append({ key, state }, body, { offset }),
    abort: (key, state) => methods.abort({ key, state }),
    complete: (key, state, size) => methods.complete({ key, state }, { size }),
  };
}

/** The folder (under `tempDir`, or the system's) that holds the generic path's partial files. */
export function tempSessionsDir(tempDir: string | undefined): string {
  return join(tempDir ?? tmpdir(), 'upload-server-resumable');
}

/**
 * The generic path, for providers without sessions: the bytes are appended to `<dir>/<id>`, and the finished file
 * goes through the pipeline's `stage` (one streamed `provider.upload`). A restart resumes while the file survives.
 */
export function tempFileSessions(dir: string): Sessions & { pathOf(state: ResumableState): string } {
  const pathOf = (state: ResumableState) => {
    const file = state.file;
    if (typeof file !== 'string' || !/^[0-9a-f]{32}$/.test(file)) throw new Error('not a temp-file session');
    return join(dir, file);
  };
  return {
    kind: 'temp',
    pathOf,
    async create({ id }) {
      await mkdir(dir, { recursive: true });
      const state = { file: id };
      // Created empty now, so a HEAD right after creation and a restart both find it.
      await (await open(pathOf(state), 'wx')).close();
      return state;
    },
    async append(_key, state, body, offset) {
      const path = pathOf(state);
      // Bytes past the recorded offset were written by a request whose offset never reached the database: drop them.
      const handle = await open(path, 'r+');
      try {
        await handle.truncate(offset);
      } finally {
        await handle.close();
      }
      const counter = new ByteCounter(Number.MAX_SAFE_INTEGER);
      const sink = createWriteStream(path, { flags: 'r+', start: offset, highWaterMark: 1024 * 1024 });
      await pipeline(body, counter, sink);
      return { state, offset: offset + counter.bytes };
    },
    async abort(_key, state) {
      await rm(pathOf(state), { force: true });
    },
  };
}
