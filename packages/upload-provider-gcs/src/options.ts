import type { Bucket, Storage } from '@google-cloud/storage';
import { httpUrlOption, integerOption, prefixOption, z } from 'upload-provider';

export const KiB = 1024;
export const MiB = 1024 * KiB;
export const GiB = 1024 * MiB;
export const TiB = 1024 * GiB;

/** Cloud Storage's own limits. */
export const GCS_LIMITS = {
  /** The largest object Cloud Storage stores. */
  maxObjectSize: 5 * TiB,
  /** V4 signed URLs and POST policies live at most 7 days. */
  maxExpiresIn: 7 * 24 * 60 * 60,
} as const;

export const DEFAULTS = {
  visibility: 'private',
  urlExpiresIn: 900,
  /** Uploads larger than this (or of unknown size) use a resumable session; smaller ones one request. */
  resumableThreshold: 8 * MiB,
} as const;

export type Visibility = 'private' | 'public-bucket' | 'public-acl';

/** The fields of a service account key that signing needs; the rest of the JSON key file is passed on as it is. */
export interface ServiceAccountCredentials {
  client_email: string;
  private_key: string;
  project_id?: string;
  [field: string]: unknown;
}

/** Duck-typed so that a Storage from another copy of @google-cloud/storage is accepted too. */
function looksLikeStorage(v: unknown): v is Storage {
  return typeof v === 'object' && v !== null && typeof (v as Storage).bucket === 'function' && 'authClient' in v;
}

function looksLikeBucket(v: unknown): v is Bucket {
  const b = v as Bucket;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof b.file === 'function' &&
    typeof b.name === 'string' &&
    looksLikeStorage(b.storage)
  );
}

const BUCKET_NAME = /^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/;

const bucketSchema = z.union(
  [
    z
      .string()
      .min(1, 'bucket is required: the name of the Cloud Storage bucket')
      .refine(
        (v) => !v.includes('/') || v.startsWith('gs://'),
        'bucket is a bucket name, not a path: put folders in `prefix`',
      )
      .refine(
        (v) => v.includes('/') || v.startsWith('gs://') || BUCKET_NAME.test(v),
        'bucket must be a bucket name: 3-222 lowercase letters, digits, "-", "_" or "."',
      ),
    z.custom<Bucket>(looksLikeBucket),
  ],
  { error: 'bucket is required: the name of the Cloud Storage bucket, or a Bucket from @google-cloud/storage' },
);

/** The JSON of a service account key, as an object or as the text of the key file. */
const credentialsSchema = z
  .union([z.string(), z.record(z.string(), z.unknown())], {
    error: 'credentials must be a service account key: its JSON text or the parsed object',
  })
  .transform((value, ctx): ServiceAccountCredentials => {
    let parsed: unknown = value;
    if (typeof value === 'string') {
      try {
        parsed = JSON.parse(value);
      } catch {
        ctx.addIssue({
          code: 'custom',
          message: 'credentials is a string but not JSON: pass the service account key file text, or use keyFilename',
        });
        return z.NEVER;
      }
    }
    const o = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<string, unknown>;
    const missing = ['client_email', 'private_key'].filter((k) => typeof o[k] !== 'string' || o[k] === '');
    if (missing.length > 0) {
      ctx.addIssue({
        code: 'custom',
        message: `credentials must be a service account key with ${missing.join(' and ')} (download one from IAM > Service accounts > Keys)`,
      });
      return z.NEVER;
    }
    return o as ServiceAccountCredentials;
  });

/** The options of `gcsProvider`, validated at creation; every problem is reported at once. */
export const gcsOptionsSchema = z
  .strictObject({
    /** The bucket's name, or a `Bucket` from @google-cloud/storage. */
    bucket: bucketSchema,
    projectId: z.string().min(1, 'projectId must not be empty').optional(),
    /** Path to a service account key file. */
    keyFilename: z.string().min(1, 'keyFilename must be the path of a service account key file').optional(),
    credentials: credentialsSchema.optional(),
    apiEndpoint: httpUrlOption('apiEndpoint').optional(),
    baseUrl: httpUrlOption('baseUrl').optional(),
    prefix: prefixOption('prefix').optional(),
    visibility: z
      .enum(['private', 'public-bucket', 'public-acl'], {
        error: 'visibility must be "private", "public-bucket" or "public-acl"',
      })
      .default(DEFAULTS.visibility),
    urlExpiresIn: integerOption(
      'urlExpiresIn',
      1,
      GCS_LIMITS.maxExpiresIn,
      'seconds (7 days is the GCS maximum)',
    ).default(DEFAULTS.urlExpiresIn),
    resumableThreshold: integerOption('resumableThreshold', 0, GCS_LIMITS.maxObjectSize, 'bytes').default(
      DEFAULTS.resumableThreshold,
    ),
    cacheControl: z.string().min(1, 'cacheControl must not be empty').optional(),
    /** A `Storage` from @google-cloud/storage, configured as you like. */
    storage: z
      .custom<Storage>(looksLikeStorage, { message: 'storage must be a Storage from @google-cloud/storage' })
      .optional(),
  })
  .superRefine(
    (o, ctx) => {
      // Runs even when other options failed, so every problem is named at once; fields may be invalid here.
      const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
      if (typeof o.bucket === 'string' && o.bucket.startsWith('gs://')) {
        issue('bucket', `bucket is the bucket's name without "gs://": ${JSON.stringify(o.bucket.slice(5))}`);
      }
      if (o.keyFilename !== undefined && o.credentials !== undefined) {
        issue('credentials', 'credentials and keyFilename are two ways to give the same key: pass one of them');
      }
      const injected = o.storage !== undefined ? 'storage' : looksLikeBucket(o.bucket) ? 'bucket' : undefined;
      if (injected) {
        for (const name of ['keyFilename', 'credentials', 'projectId', 'apiEndpoint'] as const) {
          if (o[name] !== undefined) {
            issue(name, `${name} cannot be used with an injected ${injected}: configure it on your Storage instead`);
          }
        }
        if (o.storage !== undefined && looksLikeBucket(o.bucket)) {
          issue('storage', 'storage is not needed with an injected Bucket (it has its own): pass one of them');
        }
      }
    },
    { when: () => true },
  );

export type GcsProviderOptions = z.input<typeof gcsOptionsSchema>;
export type GcsResolvedOptions = z.output<typeof gcsOptionsSchema>;
