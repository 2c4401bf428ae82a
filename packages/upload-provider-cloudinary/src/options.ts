import { prefixOption, z } from 'upload-provider';
import { type CloudinarySdk, isCloudinarySdk } from './sdk.js';

/** Cloudinary refuses chunks under 5 MB; the provider's floor is 5 MiB so either reading of "MB" is met. */
export const MIN_CHUNK_BYTES = 5 * 1024 * 1024;
/** One upload request carries at most 100 MB. */
export const MAX_CHUNK_BYTES = 100_000_000;
/** The SDK's own default chunk size. */
export const DEFAULT_CHUNK_BYTES = 20_000_000;
/** A signed URL's longest lifetime the provider issues: 7 days. */
export const MAX_URL_EXPIRES_IN = 7 * 24 * 3600;
/** Cloudinary accepts a signed upload for one hour after its `timestamp`. */
export const UPLOAD_SIGNATURE_LIFETIME = 3600;

const DELIVERY_TYPES = ['upload', 'authenticated', 'private'] as const;
export type DeliveryType = (typeof DELIVERY_TYPES)[number];

/** Cloudinary cloud names: letters, digits, `-` and `_`. */
const CLOUD_NAME = /^[A-Za-z0-9_-]+$/;

export interface Credentials {
  cloudName: string;
  apiKey: string;
  apiSecret: string;
}

/** Reads `cloudinary://<key>:<secret>@<cloud>`; throws with a message naming what is wrong. */
export function parseCloudinaryUrl(value: string): Partial<Credentials> {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error('must look like cloudinary://<api_key>:<api_secret>@<cloud_name>');
  }
  if (url.protocol !== 'cloudinary:') throw new Error('must start with cloudinary://');
  const out: Partial<Credentials> = {};
  if (url.hostname) out.cloudName = url.hostname;
  if (url.username) out.apiKey = decodeURIComponent(url.username);
  if (url.password) out.apiSecret = decodeURIComponent(url.password);
  return out;
}

const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);

const schema = z
  .object({
    /** The cloud name. Default: from `cloudinaryUrl`, `CLOUDINARY_URL` or the injected client's configuration. */
    cloudName: z
      .string()
      .regex(CLOUD_NAME, 'must be a Cloudinary cloud name (letters, digits, "-" and "_")')
      .optional(),
    apiKey: z.string().min(1, 'must not be empty').optional(),
    apiSecret: z.string().min(1, 'must not be empty').optional(),
    /** `cloudinary://<key>:<secret>@<cloud>`. Default: the `CLOUDINARY_URL` environment variable. */
    cloudinaryUrl: z.string().min(1, 'must not be empty').optional(),
    /** Base URL of the Upload and Admin APIs, e.g. a regional `https://api-eu.cloudinary.com`. */
    apiUrl: z
      .string()
      .regex(/^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/, 'must be an http(s) URL such as https://api.cloudinary.com')
      .optional(),
    /** Folder (prefix) every key is stored under. */
    folder: prefixOption('folder').optional(),
    /** Delivery type: `upload` (public), `authenticated` or `private`. */
    delivery: z.enum(DELIVERY_TYPES).default('upload'),
    secure: z.boolean().default(true),
    cdnSubdomain: z.boolean().default(false),
    privateCdn: z.boolean().default(false),
    secureDistribution: z.string().min(1, 'must not be empty').optional(),
    cname: z.string().min(1, 'must not be empty').optional(),
    uploadPreset: z.string().min(1, 'must not be empty').optional(),
    chunkSize: z
      .number()
      .int('must be a whole number of bytes')
      .min(MIN_CHUNK_BYTES, `must be at least ${MIN_CHUNK_BYTES} bytes (Cloudinary refuses chunks under 5 MB)`)
      .max(MAX_CHUNK_BYTES, `must be at most ${MAX_CHUNK_BYTES} bytes (Cloudinary's limit per request)`)
      .default(DEFAULT_CHUNK_BYTES),
    urlExpiresIn: z
      .number()
      .int('must be a whole number of seconds')
      .positive('must be positive')
      .max(MAX_URL_EXPIRES_IN, `must be at most ${MAX_URL_EXPIRES_IN} seconds (7 days)`)
      .default(900),
    invalidate: z.boolean().default(false),
    tags: z
      .array(
        z
          .string()
          .min(1, 'must not be empty')
          .regex(/^[^,]+$/, 'must not contain ","'),
      )
      .optional(),
    context: z.record(z.string().regex(/^[^=|]+$/, 'keys must not contain "=" or "|"'), z.string()).optional(),
    signatureAlgorithm: z.enum(['sha1', 'sha256']).default('sha1'),
    /** An injected `cloudinary` v2 object (`require('cloudinary').v2`). */
    client: z
      .custom<CloudinarySdk>(isCloudinarySdk, 'must be the cloudinary v2 object (require("cloudinary").v2)')
      .optional(),
  })
  .strict();

type Parsed = z.output<typeof schema>;

function resolveCredentials(o: Parsed, issue: (path: string, message: string) => void): Credentials | undefined {
  let fromUrl: Partial<Credentials> = {};
  const url = o.cloudinaryUrl ?? str(process.env.CLOUDINARY_URL);
  if (url !== undefined) {
    try {
      fromUrl = parseCloudinaryUrl(url);
    } catch (e) {
      issue('cloudinaryUrl', `${o.cloudinaryUrl ? '' : 'CLOUDINARY_URL '}${(e as Error).message}`);
    }
  }
  const config = o.client ? o.client.config() : {};
  const cloudName = o.cloudName ?? fromUrl.cloudName ?? str(config.cloud_name);
  const apiKey = o.apiKey ?? fromUrl.apiKey ?? str(config.api_key);
  const apiSecret = o.apiSecret ?? fromUrl.apiSecret ?? str(config.api_secret);
  const hint = 'is required (pass it, or set cloudinaryUrl / CLOUDINARY_URL)';
  if (!cloudName) issue('cloudName', hint);
  else if (!CLOUD_NAME.test(cloudName))
    issue('cloudName', 'must be a Cloudinary cloud name (letters, digits, "-" and "_")');
  if (!apiKey) issue('apiKey', hint);
  if (!apiSecret) issue('apiSecret', hint);
  return cloudName && apiKey && apiSecret ? { cloudName, apiKey, apiSecret } : undefined;
}

export const optionsSchema = schema
  .superRefine(
    (value, ctx) => {
      // Runs even when other options failed, so that every problem is reported at once; `value` may be partial.
      const o = (value && typeof value === 'object' ? value : {}) as Parsed;
      const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
      resolveCredentials(o, issue);
      if (typeof o.cname === 'string' && o.secure !== false && !o.secureDistribution) {
        issue(
          'cname',
          'is used for http URLs only: with secure (the default) set secureDistribution to your https host',
        );
      }
    },
    { when: () => true },
  )
  .transform((o) => {
    const credentials = resolveCredentials(o, () => undefined) as Credentials;
    return { ...o, folder: o.folder ?? '', credentials };
  });

export type CloudinaryOptions = z.input<typeof optionsSchema>;
export type ResolvedOptions = z.output<typeof optionsSchema>;
