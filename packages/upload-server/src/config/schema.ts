import { z } from 'zod';
import { allowEntryProblem } from '../fetch/address.js';

const MiB = 1024 * 1024;

const mimePattern = z.string().regex(/^(\*\/\*|[a-z0-9][a-z0-9!#$&^_.+-]*\/(\*|[a-z0-9][a-z0-9!#$&^_.+-]*))$/i, {
  message: 'must be a MIME type like "image/png", a family like "image/*", or "*/*"',
});

const tokenSchema = z
  .object({
    name: z.string().min(1, { message: 'must not be empty' }),
    /** The token itself (kept only as its sha256 in memory) … */
    token: z.string().min(16, { message: 'must be at least 16 characters' }).optional(),
    /** … or its sha256 hex, as `upload-server token create` stores it. */
    hash: z
      .string()
      .regex(/^[0-9a-f]{64}$/, { message: 'must be the sha256 hex digest of the token' })
      .optional(),
    access: z.enum(['read-only', 'full-access']).default('full-access'),
  })
  .refine((t) => (t.token === undefined) !== (t.hash === undefined), {
    message: 'give exactly one of "token" or "hash"',
  });

const mediaFieldKind = z.enum(['single', 'multiple']);

export const configSchema = z
  .object({
    /** Interface to listen on. Without tokens only loopback is allowed. */
    host: z.string().min(1).default('127.0.0.1'),
    port: z.coerce.number().int().min(0).max(65535).default(1337),
    /** Public origin clients reach the server at, e.g. `https://files.example.com`. Default `http://<host>:<port>`. */
    publicUrl: z.url({ message: 'must be an absolute http(s) URL' }).optional(),
    /** Folder for the SQLite file and the local provider's files. Relative to the working directory. */
    dataDir: z.string().min(1).default('./.data'),
    provider: z
      .preprocess(
        (v) => (typeof v === 'string' ? { name: v } : v),
        z.object({
          /** `'local'`, `'aws-s3'` (loads `upload-provider-aws-s3`), a package name or a path. */
          name: z.string().min(1).default('local'),
          options: z.record(z.string(), z.unknown()).default({}),
        }),
      )
      .default({ name: 'local', options: {} }),
    database: z
      .object({
        /** `postgres://…` for PostgreSQL; otherwise a SQLite file path (or `sqlite:<path>`). */
        url: z.string().min(1).optional(),
        /** PostgreSQL schema to use (created when missing). Default `public`. */
        schema: z
          .string()
          .regex(/^[a-z_][a-z0-9_]*$/, { message: 'must be a lowercase SQL identifier' })
          .optional(),
        /** Most PostgreSQL connections this process opens. */
        poolSize: z.number().int().min(1).max(100).default(10),
      })
      .default({ poolSize: 10 }),
    /** Where images (and files for providers that need a known size) are spooled while uploading. Default: the OS's. */
    tempDir: z.string().min(1).optional(),
    /** Largest accepted file, in bytes. */
    sizeLimit: z.coerce
      .number()
      .int()
      .positive()
      .max(5 * 1024 * 1024 * 1024 * 1024)
      .default(200 * MiB),
    /** Detected MIME types accepted (patterns like `image/*`); empty means everything not denied. */
    allowedTypes: z.array(mimePattern).default([]),
    deniedTypes: z.array(mimePattern).default([]),
    images: z
      .object({
        /** Make responsive formats (thumbnail and breakpoints) for images. */
        formats: z.boolean().default(true),
        breakpoints: z
          .record(
            z.string().regex(/^[a-z0-9-]+$/i, { message: 'a breakpoint name is letters, digits or "-"' }),
            z.number().int().positive().max(10000),
          )
          .default({ large: 1000, medium: 750, small: 500 }),
        /** The thumbnail's bounding box (Strapi: 245×156), or false for none. */
        thumbnail: z
          .union([
            z.object({ width: z.number().int().positive().max(10000), height: z.number().int().positive().max(10000) }),
            z.literal(false),
          ])
          .default({ width: 245, height: 156 }),
        /** Largest image (width × height) that is decoded; bigger ones are refused with 422. */
        pixelLimit: z.number().int().positive().default(100_000_000),
        /** Images processed at once by this process. */
        concurrency: z.number().int().positive().max(64).default(1),
      })
      .default({
        formats: true,
        breakpoints: { large: 1000, medium: 750, small: 500 },
        thumbnail: { width: 245, height: 156 },
        pixelLimit: 100_000_000,
        concurrency: 1,
      }),
    /** GET requests need no token when true. */
    publicRead: z.boolean().default(false),
    /**
     * `GET /api/files/:secret` needs no token when true: a secret is then a public capability link. Default false:
     * once tokens exist, downloads by secret need a read token too (a temporary public link is what sign-urls is for).
     */
    publicSecretLinks: z.boolean().default(false),
    tokens: z.array(tokenSchema).default([]),
    /** Content types and their media fields, for `ref`/`refId`/`field` links: `{ 'api::article.article': { cover: 'single' } }`. */
    contentTypes: z.record(z.string().min(1), z.record(z.string().min(1), mediaFieldKind)).default({}),
    pagination: z
      .object({
        defaultPageSize: z.number().int().positive().default(25),
        maxPageSize: z.number().int().positive().max(10000).default(100),
      })
      .default({ defaultPageSize: 25, maxPageSize: 100 }),
    /** Lifetime in seconds of the signed URLs in file entities when the provider is private. */
    signedUrlExpiresIn: z.number().int().positive().default(900),
    /** Lifetime in seconds of the URLs from `POST /api/files/sign-urls`. */
    fileUrlExpiresIn: z.number().int().positive().default(3600),
    resumable: z
      .object({
        /** Seconds an incomplete resumable (tus) upload is kept before the sweep removes it. */
        expiresIn: z
          .number()
          .int()
          .positive()
          .default(24 * 60 * 60),
      })
      .default({ expiresIn: 24 * 60 * 60 }),
    /** Lifetime in seconds of direct-upload credentials. */
    directUploadExpiresIn: z.number().int().positive().default(900),
    fromUrl: z
      .object({
        /** Hosts or CIDR ranges that `POST /api/files/from-url` may reach even though they are private. */
        allow: z
          .array(
            z
              .string()
              .min(1)
              .superRefine((entry, ctx) => {
                const problem = allowEntryProblem(entry);
                if (problem) ctx.addIssue({ code: 'custom', message: problem });
              }),
          )
          .default([]),
        timeoutMs: z.number().int().positive().default(30_000),
        maxRedirects: z.number().int().min(0).max(10).default(3),
      })
      .default({ allow: [], timeoutMs: 30_000, maxRedirects: 3 }),
    /** Origins whose browser pages may call `/api` (CORS): exact origins, or `'*'`. Default none (same origin only). */
    corsOrigins: z
      .union([z.literal('*'), z.array(z.url({ message: 'must be an origin such as https://app.example.com' }))])
      .default([]),
    /** Serve the media library page at `/media` (and redirect `/` there). */
    mediaLibrary: z.boolean().default(true),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** `json` (one object per line) or `pretty` (pino-pretty, for a terminal). Default: pretty when stdout is a TTY. */
    logFormat: z.enum(['json', 'pretty']).optional(),
    /** How often each server runs its sweeps, in milliseconds (each sweep takes its rows with a claim in the database). */
    sweepIntervalMs: z.number().int().min(100).default(60_000),
    /** Trust `X-Forwarded-*` headers (behind a reverse proxy). */
    trustProxy: z.boolean().default(false),
    /** Let in-flight requests finish for at most this long on shutdown, in milliseconds. */
    shutdownTimeoutMs: z.number().int().positive().default(30_000),
    /**
     * How long an object that no row references, or a temporary file, may stay before the sweep takes it for one a
     * killed process left behind, in milliseconds. 0 sweeps at once (one server, private tempDir).
     */
    orphanGraceMs: z
      .number()
      .int()
      .min(0)
      .default(60 * 60_000),
  })
  .strict();

export type UploadServerConfigInput = z.input<typeof configSchema>;
export type UploadServerConfig = z.output<typeof configSchema>;

/** For `upload.config.ts`: gives the config its type in an editor. */
export function defineConfig(config: UploadServerConfigInput): UploadServerConfigInput {
  return config;
}
