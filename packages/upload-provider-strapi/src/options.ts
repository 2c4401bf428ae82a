import { integerOption, z } from 'upload-provider';

const DAY = 24 * 60 * 60;

/** A Strapi upload provider module: what `require('@strapi/provider-upload-…')` gives. */
export interface StrapiProviderModule {
  init(providerOptions: unknown): unknown;
}

export const strapiBridgeOptions = z.object({
  /**
   * The Strapi provider: a package name (`@strapi/provider-upload-aws-s3`), a short name (`aws-s3`, looked up as
   * Strapi does), a path, or the module object itself.
   */
  provider: z.union(
    [
      z.string().min(1, 'provider must name a Strapi upload provider package or path'),
      z.custom<StrapiProviderModule>((v) => typeof v === 'object' && v !== null, 'provider must be a module object'),
    ],
    { error: 'provider must name a Strapi upload provider package or path' },
  ),
  /** What Strapi's `config/plugins` would pass as `providerOptions`. */
  providerOptions: z.record(z.string(), z.unknown()).default({}),
  /** Where package names and relative paths resolve from. Default `process.cwd()`. */
  cwd: z.string().min(1).optional(),
  /** `strapi.dirs.static.public`: where `@strapi/provider-upload-local` writes (under `uploads/`). */
  publicDir: z.string().min(1).optional(),
  /** Where the bridge's request handler is mounted; relative URLs from the Strapi provider live under it. */
  baseUrl: z
    .string()
    .refine((v) => /^(\/|https?:\/\/)/.test(v), 'baseUrl must be a path starting with "/" or an http(s) URL')
    .default('/uploads'),
  /** Key for the HMAC of signed links (at least 32 characters). Default: random for each process. */
  secret: z.string().min(32, 'secret must be at least 32 characters').optional(),
  /** Lifetime of signed links in seconds when `signUrl` is given none. */
  urlExpiresIn: integerOption('urlExpiresIn', 1, 7 * DAY, 'seconds').default(15 * 60),
  /** The most bytes one upload may have: passed to `checkFileSize`, and what an `upload`-only provider may buffer. */
  sizeLimit: integerOption('sizeLimit', 1, Number.MAX_SAFE_INTEGER, 'bytes').default(200 * 1024 * 1024),
  /** Whether the backend stores zero-byte files (Cloudinary does not). */
  emptyFiles: z.boolean().default(true),
  /** Answers of `strapi.config.get(path)` for providers that read Strapi's configuration. */
  config: z.record(z.string(), z.unknown()).default({}),
});

export type StrapiBridgeOptions = z.input<typeof strapiBridgeOptions>;
export type ResolvedBridgeOptions = z.output<typeof strapiBridgeOptions>;
