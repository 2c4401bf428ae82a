import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { CreateBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { type AwsS3ProviderOptions, awsS3Provider } from 'upload-provider-aws-s3';
import { createLocalHandler, type LocalProvider, localProvider } from 'upload-provider-local';

export const SECRET = randomBytes(32).toString('hex');
const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export interface S3 {
  endpoint: string;
  /** Options for an aws-s3 provider on `bucket` in this s3rver. */
  options(bucket: string, extra?: Partial<AwsS3ProviderOptions>): AwsS3ProviderOptions;
  provider(bucket: string, extra?: Partial<AwsS3ProviderOptions>): ReturnType<typeof awsS3Provider>;
  createBucket(bucket: string): Promise<void>;
  /** Every key in `bucket`, read through the S3 API. */
  keys(bucket: string): Promise<string[]>;
  close(): Promise<void>;
}

/** s3rver in this process on 127.0.0.1 (port 0), its data in a fresh temporary folder. */
export async function startS3(buckets: string[]): Promise<S3> {
  const directory = await mkdtemp(join(tmpdir(), 'mirror-s3rver-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: buckets.map((name) => ({ name })),
  });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { ...CREDENTIALS } });
  const options = (bucket: string, extra: Partial<AwsS3ProviderOptions> = {}): AwsS3ProviderOptions => ({
    bucket,
    region: 'us-east-1',
    endpoint,
    forcePathStyle: true,
    // A fresh object each time: the SDK marks the credentials object it is given (`$source`), which the option schema refuses.
    credentials: { ...CREDENTIALS },
    ...extra,
  });
  return {
    endpoint,
    options,
    provider: (bucket, extra) => awsS3Provider(options(bucket, extra)),
    async createBucket(bucket) {
      await client.send(new CreateBucketCommand({ Bucket: bucket }));
    },
    async keys(bucket) {
      const out = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
      return (out.Contents ?? []).map((o) => o.Key!);
    },
    async close() {
      client.destroy();
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

export interface LocalSite {
  root: string;
  origin: string;
  /** A local provider under `root`, served over HTTP by this site. */
  provider(extra?: Record<string, unknown>): LocalProvider;
  options(extra?: Record<string, unknown>): Record<string, unknown>;
  /** Every file under `root`, temporary ones included. */
  files(): string[];
  close(): Promise<void>;
}

/** A real HTTP server on 127.0.0.1 whose requests go to the handler of the last local provider made. */
export async function startLocal(): Promise<LocalSite> {
  const root = mkdtempSync(join(tmpdir(), 'mirror-local-'));
  let handler: ReturnType<typeof createLocalHandler> | undefined;
  const server: Server = createServer((req, res) => {
    void (handler ? handler(req, res) : Promise.resolve(false)).then((handled) => {
      if (!handled) {
        res.statusCode = 404;
        res.end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const options = (extra: Record<string, unknown> = {}) => ({
    root,
    baseUrl: `${origin}/uploads`,
    secret: SECRET,
    urlExpiresIn: 300,
    ...extra,
  });
  return {
    root,
    origin,
    options,
    provider(extra) {
      const provider = localProvider(options(extra) as Parameters<typeof localProvider>[0]);
      handler = createLocalHandler(provider);
      return provider;
    },
    files: () => filesUnder(root),
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      rmSync(root, { recursive: true, force: true });
    },
  };
}

function filesUnder(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else out.push(relative(root, path));
    }
  };
  walk(root);
  return out;
}
