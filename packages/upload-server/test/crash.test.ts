import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import sharp from 'sharp';
import { type Started, startCli } from './helpers/cli.js';
import { abortedUpload, eventually, form, json } from './helpers/http.js';
import { dropSchema, freshSchema, PG_TEST_URL } from './helpers/pg.js';
import { databases } from './helpers/server.js';

// The real server, killed with SIGKILL at three points of an upload and restarted on the same data: once its start-up
// sweep has run, the storage holds exactly the objects the rows reference, and every row's file downloads.

const INTERNAL = '.upload-provider-local';

function sha(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Every file under `root`, relative with `/`, leaving out `skip` folders. */
function walk(root: string, skip: string[] = []): string[] {
  if (!existsSync(root)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(root, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const path = relative(root, join(entry.parentPath, entry.name)).split(sep).join('/');
    if (!skip.some((s) => path === s || path.startsWith(`${s}/`))) out.push(path);
  }
  return out.sort();
}

for (const kind of databases()) {
  describe(`SIGKILL mid-upload, then restart [${kind}]`, () => {
    let dir: string;
    let tempDir: string;
    let marker: string;
    let schema: string | undefined;
    let photo: Buffer;
    const seeded = new Map<string, string>(); // a seeded file's url → sha256 of its bytes

    const uploadsDir = () => join(dir, 'uploads');
    const env = (extra: Record<string, string> = {}) => ({
      PORT: '0',
      HOST: '127.0.0.1',
      UPLOAD_DATA_DIR: dir,
      UPLOAD_TEMP_DIR: tempDir,
      UPLOAD_ORPHAN_GRACE_MS: '0',
      ...(kind === 'postgres'
        ? { DATABASE_URL: PG_TEST_URL, UPLOAD_DATABASE_SCHEMA: schema! }
        : { DATABASE_URL: join(dir, 'upload.db') }),
      ...extra,
    });
    const running = new Set<Started>();
    const start = async (extra?: Record<string, string>) => {
      const server = await startCli([], { cwd: dir, env: env(extra) });
      running.add(server);
      server.exited.then(() => running.delete(server));
      return server;
    };
    const stop = async (server: Started) => {
      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);
    };
    const kill = async (server: Started) => {
      server.child.kill('SIGKILL');
      await server.exited;
    };
    const upload = (url: string, filename: string, content: Uint8Array, type: string) =>
      fetch(`${url}/api/upload`, { method: 'POST', body: form([{ filename, content, type }]) });

    /** Restarts the server, and checks the storage against the rows once the start-up sweep has run. */
    const restartAndCheck = async () => {
      const server = await start();
      try {
        const files: Array<{ url: string; formats: Record<string, { url: string }> | null }> = await json(
          await fetch(`${server.url}/api/upload/files`),
        );
        const urls = files.flatMap((f) => [f.url, ...Object.values(f.formats ?? {}).map((x) => x.url)]);
        const referenced = urls.map((u) => decodeURIComponent(u.replace(/^\/uploads\//, ''))).sort();
        expect(walk(uploadsDir(), [INTERNAL])).toEqual(referenced);
        for (const url of urls) {
          const res = await fetch(`${server.url}${url}`);
          expect(res.status).toBe(200);
          const bytes = new Uint8Array(await res.arrayBuffer());
          if (seeded.has(url)) expect(sha(bytes)).toBe(seeded.get(url));
        }
        // The seeded files and nothing else: the interrupted uploads left no row either.
        expect(files.map((f) => f.url).sort()).toEqual([...seeded.keys()].sort());
        // The server's own spool folders are gone, and so are the provider's partial files (its `cleanup`).
        expect(readdirSync(tempDir)).toEqual([]);
        expect(walk(join(uploadsDir(), INTERNAL, 'tmp'))).toEqual([]);
      } finally {
        await stop(server);
      }
    };

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'upload-server-crash-'));
      tempDir = join(dir, 'spool');
      mkdirSync(tempDir);
      marker = join(dir, 'paused');
      schema = kind === 'postgres' ? freshSchema() : undefined;
      // Large enough for a thumbnail and three breakpoints.
      photo = await sharp({ create: { width: 1100, height: 800, channels: 3, background: '#3a7bd5' } })
        .png()
        .toBuffer();
      const server = await start();
      try {
        const text = new TextEncoder().encode('kept through every crash');
        for (const [name, bytes, type] of [
          ['kept.txt', text, 'text/plain'],
          ['kept.png', photo, 'image/png'],
        ] as const) {
          const res = await upload(server.url, name, bytes, type);
          expect(res.status).toBe(201);
          const [file] = await json(res);
          seeded.set(file.url, sha(bytes));
        }
      } finally {
        await stop(server);
      }
    });
    afterEach(async () => {
      // A failed test must not leave its server running into the next one.
      for (const server of running) await kill(server);
    });
    afterAll(async () => {
      if (schema) await dropSchema(schema);
      rmSync(dir, { recursive: true, force: true });
    });

    test('killed while clients are still sending (a file and an image)', async () => {
      const server = await start();
      const providerTemp = join(uploadsDir(), INTERNAL, 'tmp');
      const received = (folder: string) => walk(folder).some((f) => statSync(join(folder, f)).size > 0);
      let killed!: () => void;
      const afterKill = new Promise<void>((r) => {
        killed = r;
      });
      // A PNG head makes the server spool the image to its temp folder; the other file streams to the provider.
      const uploads = Promise.all([
        abortedUpload(`${server.url}/api/upload`, 8 * 1024 * 1024, 1024 * 1024, () => afterKill),
        abortedUpload(
          `${server.url}/api/upload`,
          8 * 1024 * 1024,
          1024 * 1024,
          () => afterKill,
          {},
          {
            filename: 'big.png',
            type: 'image/png',
            head: photo.subarray(0, 64 * 1024),
          },
        ),
      ]);
      await eventually(async () => received(providerTemp), 'the provider writing the file', 2000);
      await eventually(async () => received(tempDir), 'the server spooling the image', 2000);
      await kill(server);
      killed();
      await uploads;
      await restartAndCheck();
    });

    /** Uploads the image to a server that pauses at `point`, and kills it there; resolves with what was stored. */
    const killAt = async (point: 'after-store' | 'during-formats', name: string) => {
      const server = await start({ UPLOAD_TEST_PAUSE_AT: point, UPLOAD_TEST_PAUSE_FILE: marker });
      const pending = upload(server.url, `${name}.png`, photo, 'image/png').catch(() => undefined);
      await eventually(async () => existsSync(marker), 'the upload reaching the pause', 2000);
      rmSync(marker);
      const stored = walk(uploadsDir(), [INTERNAL]).filter((k) => k.includes(`${name}_`));
      const spooled = readdirSync(tempDir);
      await kill(server);
      await pending;
      return { stored, spooled };
    };

    test('killed after the storage has the object, before the row is written', async () => {
      const { stored } = await killAt('after-store', 'lost');
      // The original and its formats were in the storage, with no row.
      expect(stored).toHaveLength(5);
      await restartAndCheck();
    });

    test('killed while the image formats are being stored', async () => {
      const { stored, spooled } = await killAt('during-formats', 'half');
      // The original and the first format were stored; the image was still in its spool folder.
      expect(stored).toHaveLength(2);
      expect(spooled).toHaveLength(1);
      await restartAndCheck();
    });
  });
}
