import type { Capabilities, DirectUpload, UploadProvider } from 'upload-provider';

/** What the backend under test (or its emulator) enforces itself. Everything defaults to `true`. */
export interface Enforcement {
  /** Fetching an expired or tampered signed URL is refused. When false, `verifySignedUrl` is required. */
  signedUrls?: boolean;
  /**
   * A direct-upload POST over the size limit, of the wrong type, to another key, or after expiry is refused by the
   * storage. When false, the suite decodes the standard `policy` field (S3/GCS POST policy) and asserts each
   * condition instead.
   */
  directUploadPolicy?: boolean;
  /** A private provider's plain URL does not serve. (Emulators without ACLs cannot deny it.) */
  privateUrls?: boolean;
  /**
   * A direct-upload POST over `maxSize` is refused by the storage. Backends whose signed uploads cannot carry a size
   * limit (Cloudinary) set this to false: the suite then checks that `stat` reports the real size, so the caller's
   * confirm step can refuse it, and that `delete` removes it.
   */
  directUploadSize?: boolean;
  /**
   * Two concurrent writes to one key leave one whole object, never a mix (S3, GCS and disk with rename all do).
   * Emulators that write objects in place (s3rver) cannot: set false there, and say so.
   */
  atomicOverwrite?: boolean;
  /**
   * A signed URL's download name is applied by the storage (`Content-Disposition: attachment; filename=...`).
   * Emulators that ignore it (the GCS emulator) set this to false: the suite then checks that the signed URL asks
   * for the attachment under that name, and (with `signedUrls: false`) that `verifySignedUrl` accepts it.
   */
  downloadName?: boolean;
}

/** A provider factory made by `defineProvider`; `capabilitiesFor` (when it has one) tells capabilities up front. */
export interface ConformanceFactory {
  (options: never): UploadProvider;
  readonly providerName?: string;
  capabilitiesFor?(options: unknown): Capabilities;
}

export interface InvalidOptionsCase {
  options: unknown;
  /** Words the error message must contain: the option names that are wrong. */
  mentions: string[];
}

export interface ConformanceOptions<P extends UploadProvider = UploadProvider> {
  /** Label for the suite, usually the provider's name plus its mode: `'aws-s3 (private)'`. */
  name: string;
  /** A fresh provider for one case. Default: `factory(options)`. */
  create?(): P | Promise<P>;
  /** Runs after each case, with the provider `create` made (close it, stop a client...). */
  cleanup?(provider: P): void | Promise<void>;
  /** Runs once before any case (start a server or an emulator that `create` needs). */
  setup?(): void | Promise<void>;
  /** Runs once after every case, also after failures. */
  teardown?(): void | Promise<void>;
  /**
   * The provider's factory (from `defineProvider`): the option-validation cases call it, and with `options` it
   * makes each case's provider and tells the capabilities (`factory.capabilitiesFor(options)`).
   */
  factory?: ConformanceFactory;
  /** The options the provider under test is made with, passed to `factory`. */
  options?: unknown;
  /** Options the factory must refuse with `INVALID_OPTIONS`, naming each of `mentions`. */
  invalidOptions?: InvalidOptionsCase[];
  /** Used to GET URLs and POST direct uploads. Default `globalThis.fetch`. A GET or HEAD whose reused connection the server closed as it went out is retried once. */
  fetch?: typeof fetch;
  enforces?: Enforcement;
  /** With `enforces.signedUrls: false`: checks a signed URL's signature and expiry with your own code. */
  verifySignedUrl?(url: string, now: Date): boolean | Promise<boolean>;
  /** Size of the large streamed file. Default 8 MiB. */
  largeFileBytes?: number;
  /** Key prefix for every object the suite writes. Default `conformance`. */
  keyPrefix?: string;
  /**
   * The capabilities and privacy the provider under test has. Read, in order, from here, from
   * `factory.capabilitiesFor(options)`, or from a provider made while the tests are registered; so they are needed
   * only when `create()` cannot run then (it needs something `setup` starts) and the factory cannot tell them.
   * A contract case checks that the real provider declares exactly these.
   */
  capabilities?: Capabilities;
  private?: boolean;
  /** Provider-specific cases run with the same set-up and clean-up. */
  extraCases?: ConformanceCase[];
}

/** Tools a case gets besides its provider. */
export interface CaseContext<P extends UploadProvider = UploadProvider> {
  provider: P;
  options: ConformanceOptions<P>;
  fetch: typeof fetch;
  /** A fresh random key under the suite's prefix, e.g. `conformance/3f2a.../name.bin`. */
  key(name?: string): string;
  /** Registers an object for deletion through the provider after the case. */
  track(key: string, providerMetadata?: Record<string, unknown> | null): void;
}

/** One runner-neutral case: a function that throws (node:assert) on failure. */
export interface ConformanceCase<P extends UploadProvider = UploadProvider> {
  group: string;
  name: string;
  run(ctx: CaseContext<P>): Promise<void>;
}

export type { DirectUpload };
