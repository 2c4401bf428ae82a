import type { Readable } from 'node:stream';
import type { StoredFile } from './types.js';

/**
 * A session's state: JSON-safe data the provider returns and gets back unchanged on the next call. The caller
 * keeps it (the server, in its database), so a session survives a restart and a new provider instance.
 */
export type ResumableState = { [key: string]: unknown };

/** A session as the caller passes it back: the key it was created for and its latest state. */
export interface ResumableSession {
  key: string;
  state: ResumableState;
}

/** What {@link ResumableSessions.create} needs. */
export interface ResumableRequest {
  /** The key the finished object gets (normalised like an upload's key). */
  key: string;
  mime: string;
  /** The user's original file name, for `Content-Disposition` where the backend stores it. */
  name: string;
  /** The total length when known; absent while it is deferred (tus's `Upload-Defer-Length`). */
  size?: number;
  /** How a browser should present the object when served. Default `inline`. */
  disposition?: 'inline' | 'attachment';
}

/** What {@link ResumableSessions.append} returns. */
export interface ResumableProgress {
  /** The state to pass to the next call (replace the previous one with it). */
  state: ResumableState;
  /** Bytes the session holds now: `offset` plus every byte of `body` that arrived. */
  offset: number;
}

export interface AppendOptions {
  /** Where `body` starts: the offset the previous call returned (or 0). */
  offset: number;
  signal?: AbortSignal;
}

export interface CompleteOptions {
  /** The total length, which must equal the session's offset. */
  size: number;
}

/**
 * Native resumable sessions, present when `capabilities.resumable`: bytes arrive in pieces of any size, over any
 * number of calls and provider instances, and become one object at `complete`. The server's tus endpoint uses
 * them; providers without them get resumable uploads through the server's generic path (a temp file, then
 * `upload`).
 */
export interface ResumableSessions {
  /**
   * Opens a session for `req.key`. Nothing is visible under the key until `complete`. Rejects with
   * `INVALID_INPUT` for a bad key or mime, `ACCESS_DENIED`/`UNAVAILABLE` from the backend.
   */
  create(req: ResumableRequest): Promise<ResumableState>;
  /**
   * Appends `body` at `opts.offset`. When `body` ends early or fails (a dropped connection), the bytes that did
   * arrive are kept and counted: it resolves with the offset they reach rather than rejecting. Bytes past
   * `opts.offset` left by an earlier call that never reported back are overwritten. Rejects with `NOT_FOUND` when
   * the session is gone (aborted, expired at the backend), `INVALID_INPUT` for an offset the state does not allow.
   */
  append(session: ResumableSession, body: Readable, opts: AppendOptions): Promise<ResumableProgress>;
  /**
   * Turns the session's bytes into the object under `session.key` and releases the session. Rejects with
   * `INTEGRITY` when `opts.size` is not the session's length, `NOT_FOUND` when the session is gone.
   */
  complete(session: ResumableSession, opts: CompleteOptions): Promise<StoredFile>;
  /** Removes everything the session stored (parts, tail objects, temporary files). Resolves when already gone. */
  abort(session: ResumableSession): Promise<void>;
}
