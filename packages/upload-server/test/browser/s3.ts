import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';
import { type AwsS3Provider, awsS3Provider } from 'upload-provider-aws-s3';

/** s3rver's built-in account (it refuses other access keys but does not check SigV4 signatures). */
export const S3_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

// Lets a page on any origin POST forms and GET objects, as a bucket for browser uploads is configured.
const CORS = `<CORSConfiguration>
  <CORSRule>
    <AllowedOrigin>*</AllowedOrigin>
    <AllowedMethod>GET</AllowedMethod>
    <AllowedMethod>HEAD</AllowedMethod>
    <AllowedMethod>POST</AllowedMethod>
    <AllowedHeader>*</AllowedHeader>
    <ExposeHeader>ETag</ExposeHeader>
    <MaxAgeSeconds>600</MaxAgeSeconds>
  </CORSRule>
</CORSConfiguration>`;

export interface S3Emulator {
  endpoint: string;
  bucket: string;
  provider(): AwsS3Provider;
  close(): Promise<void>;
}

/** s3rver in this process on 127.0.0.1, port 0, one bucket with CORS, data in a fresh temporary folder. */
export async function startS3(bucket = 'uploads'): Promise<S3Emulator> {
  const directory = await mkdtemp(join(tmpdir(), 'upload-server-s3rver-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: bucket, configs: [CORS] }],
  });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    bucket,
    provider: () =>
      awsS3Provider({
        bucket,
        region: 'us-east-1',
        endpoint,
        forcePathStyle: true,
        credentials: S3_CREDENTIALS,
      }),
    async close() {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
