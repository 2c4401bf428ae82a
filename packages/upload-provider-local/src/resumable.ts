import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ProviderError, type ResumableSessions, type ResumableState, type StoredFile } from 'upload-provider';
import { type DiskStore, etagOf, INTERNAL_DIR } from './store.js';

/** A session's file name: 32 hex digits (the state comes back from a database: never trusted as a path). */
const SESSION_ID = /^[0-9a-f]{32}$/;

interface LocalState extends ResumableState {
  id: string;
  mime: string;
  name: string;
  disposition?: 'inline' | 'attachment';
}

function code(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null ? ((error as { code?: unknown }).code as string) : undefined;
}

/**
 * Resumable sessions on the local disk: the bytes are appended to `<root>/.upload-provider-local/resumable/<id>.part`
 * (outside every key, and apart from the temporary files `cleanup` removes), and `complete` renames the file into
 * place with its metadata. The state is the session id, the type and the name; the offset is the file's length.
 */
export function localSessions(store: DiskStore, provider: string, fileUrl: (key: string) => string): ResumableSessions {
  const dir = join(store.root, INTERNAL_DIR, 'resumable');
  const fail = (c: ConstructorParameters<typeof ProviderError>[0], message: string, cause?: unknown) =>
    new ProviderError(c, message, { provider, ...(cause ? { cause } : {}) });
  const stateOf = (state: ResumableState): LocalState => {
    const { id, mime, name, disposition } = state as Partial<LocalState>;
    if (typeof id !== 'string' || !SESSION_ID.test(id) || typeof mime !== 'string' || typeof name !== 'string') {
      throw fail('INVALID_INPUT', 'the session state is not one this provider made');
    }
    return { id, mime, name, ...(disposition === 'attachment' ? { disposition } : {}) };
  };
  const pathOf = (state: ResumableState) => join(dir, `${stateOf(state).id}.part`);
  const length = async (path: string): Promise<number> => {
    try {
      return (await stat(path)).size;
    } catch (error) {
      if (code(error) === 'ENOENT')
        throw fail('NOT_FOUND', 'the resumable session is gone (aborted or expired)', error);
      throw fail('UNAVAILABLE', 'could not read the resumable session', error);
    }
  };

  return {
    async create(req) {
      store.objectName(req.key);
      const state: LocalState = {
        id: randomBytes(16).toString('hex'),
        mime: req.mime,
        name: req.name,
        ...(req.disposition === 'attachment' ? { disposition: req.disposition } : {}),
      };
      try {
        await mkdir(dir, { recursive: true });
        await (await open(pathOf(state), 'wx')).close();
      } catch (error) {
        throw fail('UNAVAILABLE', 'could not start a resumable session', error);
      }
      return state;
    },

    async append(session, body, opts) {
      const path = pathOf(session.state);
      const held = await length(path);
      if (opts.offset > held) {
        body.destroy();
        throw fail('INVALID_INPUT', `the session holds ${held} bytes: append at ${held} at most, not ${opts.offset}`);
      }
      // Bytes past the offset came from a call that never reported back: they are overwritten.
      const handle = await open(path, 'r+');
      try {
        await handle.truncate(opts.offset);
      } finally {
        await handle.close();
      }
      const sink = createWriteStream(path, { flags: 'r+', start: opts.offset, highWaterMark: 1024 * 1024 });
      try {
        await pipeline(body, sink, ...(opts.signal ? [{ signal: opts.signal }] : []));
      } catch (error) {
        // A body that broke off keeps what reached the disk; a disk that failed (a system call's error) is ours.
        if ((error as { syscall?: unknown }).syscall !== undefined) {
          throw fail('UNAVAILABLE', 'could not write to the resumable session', error);
        }
      }
      return { state: session.state, offset: opts.offset + sink.bytesWritten };
    },

    async complete(session, opts): Promise<StoredFile> {
      const state = stateOf(session.state);
      const path = pathOf(state);
      const held = await length(path);
      if (held !== opts.size) {
        throw fail('INTEGRITY', `the session holds ${held} bytes, not the ${opts.size} the upload declared`);
      }
      const objectName = store.objectName(session.key);
      const meta = { key: objectName, mime: state.mime, name: state.name, disposition: state.disposition };
      const stats = await store.place(objectName, path, meta);
      return {
        key: session.key,
        url: fileUrl(session.key),
        size: stats.size,
        mime: state.mime,
        etag: etagOf(stats),
        providerMetadata: null,
      };
    },

    async abort(session) {
      await rm(pathOf(session.state), { force: true });
    },
  };
}
