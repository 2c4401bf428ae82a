import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';

export { CREDENTIALS, REGION } from './account.mjs';

// Lets a page on any origin POST forms and GET objects, as issue 7's browser test does.
const CORS = `<CORSConfiguration>
  <CORSRule>
    <AllowedOrigin>*</AllowedOrigin>
    <AllowedMethod>GET</AllowedMethod>
    <AllowedMethod>HEAD</AllowedMethod>
    <AllowedMethod>POST</AllowedMethod>
    <AllowedMethod>PUT</AllowedMethod>
    <AllowedHeader>*</AllowedHeader>
    <ExposeHeader>ETag</ExposeHeader>
    <ExposeHeader>Location</ExposeHeader>
    <MaxAgeSeconds>3000</MaxAgeSeconds>
  </CORSRule>
</CORSConfiguration>`;

export interface Emulator {
  endpoint: string;
  close(): Promise<void>;
}

/**
 * Starts s3rver in this process on 127.0.0.1 with a random port, its data in a fresh temporary directory, and
 * creates each bucket (with CORS). The tests' npm script sets NODE_OPTIONS=--openssl-legacy-provider, which
 * s3rver's list continuation tokens need.
 */
export async function startS3rver(buckets: string[]): Promise<Emulator> {
  const directory = await mkdtemp(join(tmpdir(), 's3rver-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: buckets.map((name) => ({ name, configs: [CORS] })),
  });
  const { port } = await server.run();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    async close() {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
