// Measurement (not a test): what does upload-server leave behind when it is killed with SIGKILL in the middle of
// uploads? For each server CLI given (default: this checkout's packages/upload-server/dist/cli.js), on SQLite and
// the local provider, it kills the server three times: while a client is still sending a large file, right after the
// storage has a large image's original (before the row), and while that image's formats are being stored. It then
// restarts the server twice on the same data and reports what stayed: objects no row references, the provider's
// temporary files, the server's spool folders (count and size), and whether every row's file still downloads.
// Give two CLIs (before, after) to compare them in one run. The kill points are found by watching the data folder,
// so they need no help from the server.
// Run: pnpm exec turbo run build --filter=upload-server..., then node bench/server-crash-leftovers.mjs [cli.js ...]
// Options (environment): BENCH_CRASH_MIB (size of the streamed file, default 45), BENCH_CRASH_SIDE (the image's
// width; its height is 3/4 of it; default 4000).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const MiB = 1024 * 1024;
const serverDir = fileURLToPath(new URL('../packages/upload-server/', import.meta.url));
const sharp = createRequire(join(serverDir, 'package.json'))('sharp');
const streamedMiB = Number(process.env.BENCH_CRASH_MIB ?? 45);
const side = Number(process.env.BENCH_CRASH_SIDE ?? 4000);
const clis =
  process.argv.slice(2).length > 0 ? process.argv.slice(2).map((p) => resolve(p)) : [join(serverDir, 'dist', 'cli.js')];
const INTERNAL = '.upload-provider-local';

function start(cli, dir) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, 'start'], {
      cwd: dir,
      env: {
        PATH: process.env.PATH ?? '',
        PORT: '0',
        UPLOAD_DATA_DIR: dir,
        UPLOAD_TEMP_DIR: join(dir, 'spool'),
        DATABASE_URL: join(dir, 'upload.db'),
        UPLOAD_SIZE_LIMIT: String(1024 * MiB),
        UPLOAD_ORPHAN_GRACE_MS: '0',
      },
    });
    let output = '';
    const exited = new Promise((r) => child.on('close', r));
    const onData = (d) => {
      output += d;
      const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) resolve({ child, url: match[1], exited });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    exited.then((code) => reject(new Error(`the server exited (${code}) before listening:\n${output}`)));
  });
}

async function kill(server) {
  server.child.kill('SIGKILL');
  await server.exited;
}

async function stop(server) {
  server.child.kill('SIGTERM');
  await server.exited;
}

/** Every file under `root` with its size, relative with `/`. */
function files(root, skip = []) {
  if (!existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => {
      const path = join(e.parentPath, e.name);
      return { path: relative(root, path).split(sep).join('/'), size: statSync(path).size };
    })
    .filter((f) => !skip.some((s) => f.path === s || f.path.startsWith(`${s}/`)));
}

async function until(check) {
  for (;;) {
    if (check()) return;
    await sleep(5);
  }
}

/** POSTs a multipart upload; with `stall`, sends the file's bytes but never the end of the body. */
function post(url, filename, type, body, stall) {
  const boundary = `----crash-${randomBytes(6).toString('hex')}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="${filename}"\r\nContent-Type: ${type}\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const req = request(`${url}/api/upload`, {
    method: 'POST',
    headers: {
      'content-type': `multipart/form-data; boundary=${boundary}`,
      'content-length': String(head.length + body.length + tail.length),
    },
  });
  req.on('error', () => {});
  req.write(head);
  req.write(body);
  if (!stall) req.end(tail);
  return req;
}

async function scenario(cli, image) {
  const dir = await mkdtemp(join(tmpdir(), 'upload-server-crash-bench-'));
  await mkdir(join(dir, 'spool'));
  const uploads = join(dir, 'uploads');
  try {
    // 1. Killed while a client is still sending a large file.
    let server = await start(cli, dir);
    // One file uploaded before the crashes, which must still download after them.
    const kept = new FormData();
    kept.append('files', new Blob(['kept through the crashes'], { type: 'text/plain' }), 'kept.txt');
    if (!(await fetch(`${server.url}/api/upload`, { method: 'POST', body: kept })).ok) throw new Error('upload failed');
    post(server.url, 'stream.bin', 'application/octet-stream', randomBytes(streamedMiB * MiB), true);
    await until(() => files(join(uploads, INTERNAL, 'tmp')).some((f) => f.size >= streamedMiB * MiB));
    await kill(server);

    // 2. Killed once the storage has the image's original, before its row (formats take a while at this size).
    server = await start(cli, dir);
    post(server.url, 'stored.png', 'image/png', image, false);
    await until(() => files(uploads, [INTERNAL]).some((f) => /^stored_[0-9a-f]+\.png$/.test(f.path)));
    await kill(server);

    // 3. Killed while the image's formats are being stored.
    server = await start(cli, dir);
    post(server.url, 'formats.png', 'image/png', image, false);
    await until(() => files(uploads, [INTERNAL]).some((f) => /^(thumbnail|large|medium|small)_formats_/.test(f.path)));
    await kill(server);

    // Restart twice; the second time, look at what stayed.
    await stop(await start(cli, dir));
    server = await start(cli, dir);
    const rows = await (await fetch(`${server.url}/api/upload/files`)).json();
    const urls = rows.flatMap((r) => [r.url, ...Object.values(r.formats ?? {}).map((f) => f.url)]);
    const referenced = new Set(urls.map((u) => decodeURIComponent(u.replace(/^\/uploads\//, ''))));
    let downloads = 0;
    for (const url of urls) if ((await fetch(`${server.url}${url}`)).ok) downloads += 1;
    await stop(server);
    const orphans = files(uploads, [INTERNAL]).filter((f) => !referenced.has(f.path));
    const temp = files(join(uploads, INTERNAL, 'tmp'));
    const spool = readdirSync(join(dir, 'spool'));
    const spoolFiles = files(join(dir, 'spool'));
    const sum = (list) => `${(list.reduce((n, f) => n + f.size, 0) / MiB).toFixed(1)} MiB`;
    return {
      rows: rows.length,
      'rows whose files download': `${downloads}/${urls.length}`,
      'orphan objects': `${orphans.length} (${sum(orphans)})`,
      'provider temp files': `${temp.length} (${sum(temp)})`,
      'spool folders': `${spool.length} (${sum(spoolFiles)})`,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const image = await sharp({
  create: {
    width: side,
    height: Math.round((side * 3) / 4),
    channels: 3,
    noise: { type: 'gaussian', mean: 128, sigma: 40 },
  },
})
  .png({ compressionLevel: 1 })
  .toBuffer();
console.log(
  `image ${side}×${Math.round((side * 3) / 4)} PNG, ${(image.length / MiB).toFixed(1)} MiB; streamed file ${streamedMiB} MiB`,
);
const results = {};
for (const cli of clis) results[relative(process.cwd(), cli) || cli] = await scenario(cli, image);
console.table(results);
