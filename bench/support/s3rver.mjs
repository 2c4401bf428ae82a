// s3rver in a child process (so its memory is not counted in the benchmark's), on a random loopback port.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

if (process.argv[2] === '--serve') {
  const { default: S3rver } = await import('s3rver');
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: process.argv[3],
    configureBuckets: process.argv.slice(4).map((name) => ({ name })),
  });
  const { port } = await server.run();
  process.stdout.write(`${port}\n`);
  process.stdin.resume();
  process.stdin.on('end', () => server.close().then(() => process.exit(0)));
}

/** Starts s3rver with `buckets`, its data under `directory`; `stop()` ends it. */
export async function startS3rver(directory, buckets) {
  // s3rver's continuation tokens use DES, which Node 17+ only offers with the legacy OpenSSL provider.
  const child = spawn(
    process.execPath,
    ['--openssl-legacy-provider', fileURLToPath(import.meta.url), '--serve', directory, ...buckets],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const port = await new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`s3rver exited with ${code}`)));
    child.stdout.once('data', (d) => resolve(Number(String(d).trim())));
  });
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    /** Options for upload-provider-aws-s3 on `bucket` in this emulator. */
    options: (bucket, extra = {}) => ({
      bucket,
      region: 'us-east-1',
      endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      ...extra,
    }),
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', resolve);
        child.stdin.end();
      }),
  };
}
