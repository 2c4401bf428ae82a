import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';
import { httpUrlOption, integerOption, prefixOption, z } from 'upload-provider';

export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;
export const TiB = 1024 * GiB;

/** S3's limits on multipart uploads and presigned requests. */
export const S3_LIMITS = {
  minPartSize: 5 * MiB,
  maxPartSize: 5 * GiB,
  maxParts: 10_000,
  maxObjectSize: 5 * TiB,
  /** A browser form POST is one request, which S3 caps at 5 GiB. */
  maxPostSize: 5 * GiB,
  /** SigV4 presigned URLs and POST policies live at most 7 days. */
  maxExpiresIn: 7 * 24 * 60 * 60,
} as const;

export const DEFAULTS = {
  region: 'us-east-1',
  visibility: 'private',
  sendAcl: true,
  urlExpiresIn: 900,
  checksumMode: 'WHEN_REQUIRED',
  partSize: 8 * MiB,
  queueSize: 4,
} as const;

const STORAGE_CLASS = /^[A-Z][A-Z0-9_]*$/;

/** A credential provider function, as the SDK's `fromIni()`, `fromEnv()` or `fromTemporaryCredentials()` return. */
type CredentialProvider = Extract<NonNullable<S3ClientConfig['credentials']>, (...args: never[]) => unknown>;

const credentialsSchema = z.union(
  [
    z.strictObject({
      accessKeyId: z.string().min(1, 'accessKeyId must not be empty'),
      secretAccessKey: z.string().min(1, 'secretAccessKey must not be empty'),
      sessionToken: z.string().min(1).optional(),
    }),
    z.custom<CredentialProvider>((v) => typeof v === 'function'),
  ],
  { error: 'credentials must be { accessKeyId, secretAccessKey, sessionToken? } or a credential provider function' },
);

/** The options of `awsS3Provider`, validated at creation; every problem is reported at once. */
export const awsS3OptionsSchema = z
  .strictObject({
    /** The bucket every object goes to. */
    bucket: z
      .string({ error: 'bucket is required: the name of the S3 bucket' })
      .min(1, 'bucket is required: the name of the S3 bucket')
      .refine((v) => !v.includes('/'), 'bucket is a bucket name, not a path: put folders in `prefix`'),
    region: z.string().min(1, 'region must not be empty').optional(),
    endpoint: httpUrlOption('endpoint').optional(),
    forcePathStyle: z.boolean().default(false),
    credentials: credentialsSchema.optional(),
    visibility: z
      .enum(['private', 'public'], { error: 'visibility must be "private" or "public"' })
      .default(DEFAULTS.visibility),
    sendAcl: z.boolean().default(DEFAULTS.sendAcl),
    baseUrl: httpUrlOption('baseUrl').optional(),
    prefix: prefixOption('prefix').optional(),
    urlExpiresIn: integerOption('urlExpiresIn', 1, S3_LIMITS.maxExpiresIn, 'seconds').default(DEFAULTS.urlExpiresIn),
    storageClass: z
      .string()
      .regex(STORAGE_CLASS, 'storageClass must be an S3 storage class such as STANDARD_IA or GLACIER_IR')
      .optional(),
    serverSideEncryption: z
      .enum(['AES256', 'aws:kms', 'aws:kms:dsse'], {
        error: 'serverSideEncryption must be "AES256", "aws:kms" or "aws:kms:dsse"',
      })
      .optional(),
    kmsKeyId: z.string().min(1).optional(),
    cacheControl: z.string().min(1).optional(),
    checksumMode: z
      .enum(['WHEN_REQUIRED', 'WHEN_SUPPORTED'], { error: 'checksumMode must be "WHEN_REQUIRED" or "WHEN_SUPPORTED"' })
      .optional(),
    directUpload: z.boolean().default(true),
    partSize: integerOption('partSize', S3_LIMITS.minPartSize, S3_LIMITS.maxPartSize, 'bytes').default(
      DEFAULTS.partSize,
    ),
    queueSize: integerOption('queueSize', 1, 64, 'parts').default(DEFAULTS.queueSize),
    client: z
      .custom<S3Client>(
        (v) =>
          typeof v === 'object' && v !== null && typeof (v as { send?: unknown }).send === 'function' && 'config' in v,
        { message: 'client must be an S3Client from @aws-sdk/client-s3' },
      )
      .optional(),
  })
  .superRefine(
    (o, ctx) => {
      // Runs even when other options failed, so every problem is named at once; fields may be invalid here.
      const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
      if (
        o.kmsKeyId !== undefined &&
        o.serverSideEncryption !== 'aws:kms' &&
        o.serverSideEncryption !== 'aws:kms:dsse'
      ) {
        issue('kmsKeyId', 'kmsKeyId needs serverSideEncryption "aws:kms" (or "aws:kms:dsse")');
      }
      if (o.client !== undefined) {
        if (o.credentials !== undefined)
          issue('credentials', 'credentials cannot be used with client: configure them on your S3Client');
        if (o.checksumMode !== undefined) {
          issue(
            'checksumMode',
            'checksumMode cannot be used with client: set requestChecksumCalculation and responseChecksumValidation on your S3Client',
          );
        }
      }
    },
    { when: () => true },
  );

export type AwsS3ProviderOptions = z.input<typeof awsS3OptionsSchema>;
export type AwsS3ResolvedOptions = z.output<typeof awsS3OptionsSchema>;
