import type { Readable } from 'node:stream';
import type { ResumableSessions } from './resumable.js';

/** What can be uploaded: a Node stream (never buffered whole by a provider) or bytes already in memory. */
export type Body = Readable | Uint8Array;

/** A file handed to {@link UploadProvider.upload}. */
export interface ProviderFile {
  /**
   * Where to store it, relative to the provider's own prefix. Made by {@link buildKey}; the core's guard passes it
   * through {@link normaliseKey} (which rejects keys that could escape: `..`, absolute paths, control characters)
   * before the provider sees it.
   */
  key: string;
  /** The bytes. A stream is consumed once; a provider must not hold all of it in memory. */
  body: Body;
  /** Length in bytes when known. A stream without `size` is uploaded as one of unknown length. */
  size?: number;
  /** The content type to store and serve. */
  mime: string;
  /** The user's original file name, used for `Content-Disposition` on download. */
  name: string;
  /** How a browser should present it when served. Default `inline`. */
  disposition?: 'inline' | 'attachment';
  /** A `Cache-Control` value to store with the object, where the backend supports it. */
  cacheControl?: string;
  /** Small string metadata stored with the object, where the backend supports it. */
  metadata?: Record<string, string>;
}

/** What a provider needs to find an object again: its key and whatever the provider recorded at upload. */
export interface StoredRef {
  key: string;
  /** JSON-safe data the provider returned in {@link StoredFile.providerMetadata}; pass it back unchanged. */
  providerMetadata?: Record<string, unknown> | null;
}

/** The result of an upload. Callers persist `key`, `url` and `providerMetadata`. */
export interface StoredFile extends StoredRef {
  /** The plain, unsigned location. It serves the file only when the provider is not private. */
  url: string;
  /** Bytes stored. */
  size: number;
  /** The content type stored. */
  mime: string;
  /** The backend's entity tag, where it gives one. */
  etag?: string;
}

export interface UploadOptions {
  /** Aborts the upload; the provider removes anything partially stored and rejects with code `ABORTED`. */
  signal?: AbortSignal;
}

export interface SignOptions {
  /** Lifetime in seconds. Default: the provider's configured lifetime (15 minutes unless set). */
  expiresIn?: number;
  /** A file name for `Content-Disposition`, so the browser saves it under that name. */
  downloadName?: string;
  /** With `downloadName`: `attachment` (download, the default) or `inline` (display). */
  disposition?: 'inline' | 'attachment';
}

export interface SignedUrl {
  url: string;
  /** When the URL stops working. */
  expiresAt: Date;
}

/** A request for credentials that let a client upload one object straight to the storage. */
export interface DirectUploadRequest {
  /** The exact key the client may write (normalised like an upload's key). */
  key: string;
  /** The only content type allowed: exact (`image/png`) or a family (`image/*`). */
  mime: string;
  /** The most bytes the storage may accept. */
  maxSize: number;
  /** The fewest bytes accepted. Default 0. */
  minSize?: number;
  /** Lifetime of the credentials in seconds. Default: the provider's configured lifetime. */
  expiresIn?: number;
  /** The user's original file name, for providers that record it. */
  name?: string;
}

/** Credentials for a browser form POST: send `fields` in order, then the file as the part named `fileField`. */
export interface DirectUpload {
  url: string;
  method: 'POST';
  fields: Record<string, string>;
  /** Name of the multipart part that carries the file (it must come after every field). */
  fileField: string;
  /** The key the object will have. */
  key: string;
  expiresAt: Date;
  /** What to keep as the stored file's provider metadata once the upload is confirmed. */
  providerMetadata?: Record<string, unknown>;
}

export interface ObjectInfo {
  key: string;
  size: number;
  mime?: string;
  etag?: string;
  lastModified?: Date;
}

/** An inclusive byte range, as in HTTP: `{ start: 0, end: 99 }` is the first 100 bytes; no `end` reads to the end. */
export interface ByteRange {
  start: number;
  end?: number;
}

/** What the optional parts of a provider support. The conformance suite reads this to decide what runs. */
export interface Capabilities {
  /** `read` streams an object back. */
  read: boolean;
  /** `read` honours a {@link ByteRange}. */
  rangeRead: boolean;
  /** `stat` reports an object's size and type, or null when it is missing. */
  stat: boolean;
  /** `createDirectUpload` issues browser POST credentials. */
  directUpload: boolean;
  /** `signUrl` honours `downloadName`/`disposition`. */
  downloadName: boolean;
  /** The content type given at upload is stored and served back. */
  contentType: boolean;
  /** A stream with no `size` can be uploaded. */
  unknownSize: boolean;
  /**
   * Zero-byte files can be stored. Default true; a backend that refuses them (Cloudinary) declares `false`, and its
   * `upload` rejects an empty body with `INVALID_INPUT` before any request.
   */
  emptyFiles?: boolean;
  /**
   * `resumable` holds native resumable sessions (S3 multipart, a local partial file...). Default false: the server
   * then makes resumable uploads itself (a temp file, then one `upload`).
   */
  resumable?: boolean;
}

/**
 * What a backend can take, declared to {@link defineProvider} (or {@link guardProvider}) so the core refuses what is
 * over it before the provider runs. Every field is optional: an undeclared limit is not checked.
 */
export interface ProviderLimits {
  /** The longest `signUrl` lifetime, in seconds (S3 and GCS: 7 days). */
  maxExpiresIn?: number;
  /** The longest `createDirectUpload` lifetime, in seconds. Default: `maxExpiresIn`. */
  maxDirectUploadExpiresIn?: number;
  /** Lifetimes must be whole seconds (signatures that count seconds, as SigV4 and GCS V4 do). Default false. */
  wholeSeconds?: boolean;
  /** The largest object, in bytes: a larger declared size is `TOO_LARGE` up front, a longer stream is cut off. */
  maxObjectSize?: number;
  /** The largest `maxSize` a direct upload may ask for, in bytes (S3: 5 GiB for one POST). */
  maxDirectUploadSize?: number;
  /** The most bytes of metadata names and values together (UTF-8). */
  maxMetadataBytes?: number;
  /** Metadata travels in HTTP headers: names must be letters, digits, `-`, `_` or `.`, values printable ASCII. */
  metadataInHeaders?: boolean;
}

/**
 * The contract every storage backend implements. Create one with {@link defineProvider}, which puts the core's guard
 * in front of every method, so a provider only ever sees checked input:
 *
 * - keys are normalised (`normaliseKey`): a hostile key is `INVALID_INPUT` before the provider runs;
 * - `mime`, `size`, `metadata`, `disposition`, `cacheControl`, ranges, lifetimes, `downloadName` and direct-upload
 *   requests are checked, and declared {@link ProviderLimits} enforced, each with one message;
 * - a stream body reaches the provider through one size guard: past its declared `size` (or `maxObjectSize`) it fails
 *   with `TOO_LARGE`, short of it with `INTEGRITY`, and a failing body with `INVALID_INPUT` (its error as `cause`);
 * - an already-aborted `signal` is `ABORTED` before any I/O; after `close()` every async method rejects with
 *   `INTERNAL` (`url` and `isPrivate` still answer, they do no I/O);
 * - an optional method whose capability is false rejects with `UNSUPPORTED`;
 * - anything thrown that is not a `ProviderError` becomes `INTERNAL`, naming the provider and the method, with the
 *   original as `cause`.
 *
 * Every method rejects only with a `ProviderError` whose `code` is one of the contract's codes.
 */
export interface UploadProvider {
  /** Short name, e.g. `'aws-s3'`; used in errors and logs. */
  readonly name: string;
  readonly capabilities: Capabilities;

  /**
   * Stores `file.body` under `file.key`, streaming.
   * Rejects with `INVALID_INPUT` for a key that is not safe (see `normaliseKey`), a bad `mime`, `size` or
   * `metadata`, or a body stream that fails; `TOO_LARGE` when the body is larger than `file.size` or than
   * `maxObjectSize`; `INTEGRITY` when it is shorter than `file.size` (or bytes whose length differs from it);
   * `ABORTED` when `opts.signal` fires; `ACCESS_DENIED` or `UNAVAILABLE` from the backend. On any rejection nothing
   * is left stored.
   */
  upload(file: ProviderFile, opts?: UploadOptions): Promise<StoredFile>;

  /** Removes the object. Resolves when it is already gone (idempotent). Rejects with `ACCESS_DENIED`/`UNAVAILABLE`. */
  delete(file: StoredRef): Promise<void>;

  /** True when plain URLs do not serve and clients need {@link UploadProvider.signUrl}. */
  isPrivate(): boolean;

  /** The plain, unsigned URL of an object (it serves only when the provider is not private). Does no I/O. */
  url(file: StoredRef): string;

  /**
   * A URL that serves the object until `expiresAt`, private or not. Does not check that the object exists.
   * Rejects with `INVALID_INPUT` for a lifetime that is not positive or exceeds `maxExpiresIn` (or is not whole
   * seconds when the provider counts whole seconds), or a `downloadName`/`disposition` of the wrong type. Without
   * `expiresIn` the provider's configured default applies.
   */
  signUrl(file: StoredRef, opts?: SignOptions): Promise<SignedUrl>;

  /**
   * Credentials for one browser form POST straight to the storage, pinned to `req.key`, `req.mime`, and at most
   * `req.maxSize` bytes, expiring. Present when `capabilities.directUpload`. Rejects with `INVALID_INPUT` for a
   * `mime` that is not a type, a family (`image/*`) or `*\/*`, a `maxSize` over `maxDirectUploadSize` (or below 1
   * when `emptyFiles` is false), a `minSize` outside `[0, maxSize]`, or a lifetime over `maxDirectUploadExpiresIn`.
   */
  createDirectUpload?(req: DirectUploadRequest): Promise<DirectUpload>;

  /** Size and type of an object, or `null` when it does not exist. Present when `capabilities.stat`. */
  stat?(file: StoredRef): Promise<ObjectInfo | null>;

  /**
   * Streams the object (or `range` of it). Rejects with `NOT_FOUND` when missing, `INVALID_INPUT` for a range that
   * does not fit the object. Present when `capabilities.read`.
   */
  read?(file: StoredRef, range?: ByteRange): Promise<Readable>;

  /**
   * Releases sockets and timers. Idempotent. Under the core's guard every later async call rejects with `INTERNAL`
   * ("called after close()"), and the guard always provides `close`, even for a provider that has nothing to release.
   */
  close?(): Promise<void>;

  /**
   * Removes the provider's own temporary data (partial files, unfinished multipart state) that a dead process left,
   * older than `olderThan`; never a user's object. Resolves with how many items were removed. Optional: the server's
   * sweep calls it when present. Rejects with `INVALID_INPUT` when `olderThan` is not a valid `Date`.
   */
  cleanup?(opts: { olderThan: Date }): Promise<{ removed: number }>;

  /**
   * Native resumable sessions: create, append at an offset, complete, abort (see {@link ResumableSessions} for each
   * method's errors). Present when `capabilities.resumable`. The core's guard checks keys, mime, name, sizes,
   * offsets and states before the provider runs.
   */
  readonly resumable?: ResumableSessions;
}
