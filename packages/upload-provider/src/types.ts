import type { Readable } from 'node:stream';

/** What can be uploaded: a Node stream (never buffered whole by a provider) or bytes already in memory. */
export type Body = Readable | Uint8Array;

/** A file handed to {@link UploadProvider.upload}. */
export interface ProviderFile {
  /**
   * Where to store it, relative to the provider's own prefix. Made by {@link buildKey}; every provider passes it
   * through {@link normaliseKey}, which rejects keys that could escape (`..`, absolute paths, control characters).
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
}

/**
 * The contract every storage backend implements. Create one with {@link defineProvider}.
 *
 * Every method rejects only with a `ProviderError` whose `code` is one of the contract's codes.
 */
export interface UploadProvider {
  /** Short name, e.g. `'aws-s3'`; used in errors and logs. */
  readonly name: string;
  readonly capabilities: Capabilities;

  /**
   * Stores `file.body` under `file.key`, streaming.
   * Rejects with `INVALID_INPUT` for a key that is not safe (see `normaliseKey`), `TOO_LARGE` when the body is
   * larger than `file.size` or than a limit, `INTEGRITY` when it is shorter than `file.size`, `ABORTED` when
   * `opts.signal` fires, `ACCESS_DENIED` or `UNAVAILABLE` from the backend. On any rejection nothing is left stored.
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
   * Rejects with `INVALID_INPUT` for a lifetime that is not positive or exceeds the backend's maximum.
   */
  signUrl(file: StoredRef, opts?: SignOptions): Promise<SignedUrl>;

  /**
   * Credentials for one browser form POST straight to the storage, pinned to `req.key`, `req.mime`, and at most
   * `req.maxSize` bytes, expiring. Present when `capabilities.directUpload`.
   */
  createDirectUpload?(req: DirectUploadRequest): Promise<DirectUpload>;

  /** Size and type of an object, or `null` when it does not exist. Present when `capabilities.stat`. */
  stat?(file: StoredRef): Promise<ObjectInfo | null>;

  /**
   * Streams the object (or `range` of it). Rejects with `NOT_FOUND` when missing, `INVALID_INPUT` for a range that
   * does not fit the object. Present when `capabilities.read`.
   */
  read?(file: StoredRef, range?: ByteRange): Promise<Readable>;

  /** Releases sockets and timers. Calls after `close` may fail. */
  close?(): Promise<void>;
}
