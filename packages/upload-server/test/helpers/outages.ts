import { mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { S3_CREDENTIALS } from '../browser/s3.js';

/** s3rver on a port and folder that survive `stop()`/`start()`: the bucket goes away and comes back with its objects. */
export interface StoppableS3 {
  endpoint: string;
  bucket: string;
  /** The options an `aws-s3` provider needs for this bucket. */
  providerOptions: Record<string, unknown>;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Every key in the bucket, listed with the S3 SDK. */
  keys(): Promise<string[]>;
  close(): Promise<void>;
}

export async function startStoppableS3(bucket = 'fleet'): Promise<StoppableS3> {
  const directory = await mkdtemp(join(tmpdir(), 'upload-server-s3-'));
  let port = 0;
  let server: S3rver | null = null;
  const start = async () => {
    server = new S3rver({ address: '127.0.0.1', port, silent: true, directory, configureBuckets: [{ name: bucket }] });
    port = (await server.run()).port;
  };
  await start();
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({
    region: 'us-east-1',
    endpoint,
    forcePathStyle: true,
    credentials: S3_CREDENTIALS,
  });
  return {
    endpoint,
    bucket,
    providerOptions: { bucket, region: 'us-east-1', endpoint, forcePathStyle: true, credentials: S3_CREDENTIALS },
    async stop() {
      await server?.close();
      server = null;
    },
    start,
    async keys() {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(
          new ListObjectsV2Command({ Bucket: bucket, ...(token ? { ContinuationToken: token } : {}) }),
        );
        for (const o of page.Contents ?? []) keys.push(o.Key!);
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return keys;
    },
    async close() {
      client.destroy();
      await server?.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/**
 * A TCP relay to PostgreSQL that the test can cut: `refuse()` stops listening and drops every connection (the
 * server's port is then closed), `accept()` listens on the same port again.
 */
export interface PgRelay {
  port: number;
  /** The local ports of the relay's connections to PostgreSQL (`client_port` in pg_stat_activity). */
  upstreamPorts(): number[];
  refuse(): Promise<void>;
  accept(): Promise<void>;
  close(): Promise<void>;
}

export async function startPgRelay(target: { host: string; port: number }): Promise<PgRelay> {
  const pairs = new Set<[Socket, Socket]>();
  let server: Server | null = null;
  let port = 0;
  const accept = () =>
    new Promise<void>((resolve, reject) => {
      // Already listening: nothing to do (a second server on the port would fail, and hide the first from close).
      if (server) return resolve();
      server = createServer((client) => {
        const upstream = connect(target.port, target.host);
        const pair: [Socket, Socket] = [client, upstream];
        pairs.add(pair);
        const drop = () => {
          client.destroy();
          upstream.destroy();
          pairs.delete(pair);
        };
        client.on('error', drop).on('close', drop);
        upstream.on('error', drop).on('close', drop);
        client.pipe(upstream).pipe(client);
      });
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        const address = server!.address();
        port = typeof address === 'object' && address ? address.port : port;
        resolve();
      });
    });
  await accept();
  const refuse = async () => {
    const s = server;
    server = null;
    for (const [client, upstream] of pairs) {
      client.destroy();
      upstream.destroy();
    }
    pairs.clear();
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  };
  return {
    port,
    upstreamPorts: () => [...pairs].map(([, upstream]) => upstream.localPort).filter((p): p is number => !!p),
    refuse,
    accept,
    close: refuse,
  };
}
