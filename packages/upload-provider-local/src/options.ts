import { prefixOption, z } from 'upload-provider';

/** The longest lifetime a signed URL or a direct-upload policy may have: 7 days, as on S3. */
export const MAX_EXPIRES_IN = 7 * 24 * 60 * 60;
/** A secret shorter than this is refused: HMAC-SHA256 wants at least 256 bits of key. */
export const MIN_SECRET_LENGTH = 32;

/** An absolute http(s) URL or a path starting with `/`, without query or fragment. */
const location = (what: string) =>
  z.string().refine(
    (value) => {
      if (value.startsWith('/')) return !value.startsWith('//') && !/[?#]/.test(value);
      try {
        const url = new URL(value);
        return (url.protocol === 'http:' || url.protocol === 'https:') && url.search === '' && url.hash === '';
      } catch {
        return false;
      }
    },
    { message: `${what} must be a path starting with "/" or an absolute http(s) URL, without "?" or "#"` },
  );

export const localOptionsSchema = z
  .object({
    /** Directory the files live in; created on the first upload when missing. */
    root: z.string({ error: 'root is required: the directory to store files in' }).min(1, 'root must not be empty'),
    /** Where files are served: `/uploads` (default) or an absolute URL such as `https://cdn.example.com/uploads`. */
    baseUrl: location('baseUrl').default('/uploads'),
    /** When true, plain URLs do not serve; clients need signed URLs. */
    private: z.boolean().default(false),
    /** HMAC-SHA256 key for signed URLs and direct-upload policies. Required when private or for direct uploads. */
    secret: z
      .string()
      .min(MIN_SECRET_LENGTH, `secret must be at least ${MIN_SECRET_LENGTH} characters (use 32 random bytes as hex)`)
      .optional(),
    /** Default lifetime of signed URLs and direct-upload policies, in seconds. */
    urlExpiresIn: z
      .number()
      .int('urlExpiresIn must be a whole number of seconds')
      .positive('urlExpiresIn must be positive')
      .max(MAX_EXPIRES_IN, `urlExpiresIn must be at most ${MAX_EXPIRES_IN} seconds (7 days)`)
      .default(900),
    /** A folder inside `root` for every key of this provider. */
    prefix: prefixOption().optional(),
    /** Where browsers POST direct uploads. Default: the same as `baseUrl`. */
    directUploadPath: location('directUploadPath').optional(),
    /** The largest `maxSize` a direct-upload policy may allow, in bytes. Default: no limit. */
    maxDirectUploadBytes: z.number().int().positive('maxDirectUploadBytes must be a positive whole number').optional(),
    /** Flush each file to the disk (fsync) before it becomes visible. Slower; survives a power cut. */
    fsync: z.boolean().default(false),
  })
  .strict()
  .superRefine(
    (options, ctx) => {
      if (options.private === true && options.secret === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['secret'],
          message: 'secret is required when private is true (it signs the URLs that serve private files)',
        });
      }
    },
    // Run even when other options are wrong, so one error names every problem.
    { when: (payload) => typeof payload.value === 'object' && payload.value !== null },
  );

export type LocalProviderOptions = z.input<typeof localOptionsSchema>;
export type ResolvedLocalOptions = z.output<typeof localOptionsSchema>;
