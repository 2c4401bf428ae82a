import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';

export interface PresignGetInput {
  bucket: string;
  key: string;
  expiresIn: number;
  contentDisposition?: string | undefined;
}

/** A presigned GetObject URL and the moment it stops working (SigV4 counts from the whole second it was signed). */
export async function presignGet(client: S3Client, input: PresignGetInput): Promise<{ url: string; expiresAt: Date }> {
  const signingDate = new Date(Math.floor(Date.now() / 1000) * 1000);
  const command = new GetObjectCommand({
    Bucket: input.bucket,
    Key: input.key,
    ...(input.contentDisposition ? { ResponseContentDisposition: input.contentDisposition } : {}),
  });
  // The presigner is a separate package built against its own copy of the client's types; the runtime shapes match.
  const url = await getSignedUrl(client as never, command as never, { expiresIn: input.expiresIn, signingDate });
  return { url, expiresAt: new Date(signingDate.getTime() + input.expiresIn * 1000) };
}

export interface PresignPostInput {
  bucket: string;
  key: string;
  expiresIn: number;
  /** Form fields the client must send unchanged; each becomes an exact-match condition of the policy. */
  fields: Record<string, string>;
  /** Further conditions: `content-length-range`, `starts-with`. */
  conditions: unknown[];
}

/** An S3 POST policy, signed, and the expiry written into it. */
export async function presignPost(
  client: S3Client,
  input: PresignPostInput,
): Promise<{ url: string; fields: Record<string, string>; expiresAt: Date }> {
  const { url, fields } = await createPresignedPost(client as never, {
    Bucket: input.bucket,
    Key: input.key,
    Expires: input.expiresIn,
    Fields: input.fields,
    Conditions: input.conditions as never,
  });
  // The policy's own expiration is the one S3 enforces, so report exactly that.
  const policy = JSON.parse(Buffer.from(fields.Policy ?? '', 'base64').toString('utf8')) as { expiration: string };
  return { url, fields, expiresAt: new Date(policy.expiration) };
}
