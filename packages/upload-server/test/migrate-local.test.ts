import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from '@jest/globals';
import { CLI } from './helpers/cli.js';
import { form, json } from './helpers/http.js';
import { migrateOnce, seed, sha256, writeServerConfig } from './helpers/migrate.js';
import { startServer, type TestServer } from './helpers/server.js';

// Local disk to local disk with another root: the cheapest way to run every path of the command for real.
let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function seeded(files: number, images: number) {
  server = await startServer();
  const bytes = await seed(server.url, files, images);
  const config = await writeServerConfig(server.dir, 'sqlite', undefined);
  const to = JSON.stringify({ name: 'local', options: { root: join(server.dir, 'new-root') } });
  return { bytes, config, to, newRoot: join(server.dir, 'new-root') };
}

describe('upload-server migrate, local to local', () => {
  test('copies every original and format, switches the rows, and the server serves them from the new root', async () => {
    const { bytes, config, to, newRoot } = await seeded(12, 3);
    const dry = await migrateOnce(['--config', config, '--to', to, '--dry-run']);
    expect(dry.code).toBe(0);
    // 12 originals and 2 formats for each of the 3 images.
    expect(dry.stderr).toMatch(/18 objects .*0 already copied, 18 to copy/);
    expect(existsSync(newRoot)).toBe(false);

    const early = await migrateOnce(['--config', config, '--to', to, '--switch', '--concurrency', '2']);
    expect(early.stderr).toMatch(/Copied 18 objects/);
    expect(early.stderr).toMatch(/Switched 12 files to "local"/);
    expect(early.code).toBe(0);
    expect(JSON.parse(early.stdout)).toEqual({ provider: { name: 'local', options: { root: newRoot } } });

    const list = await json(await fetch(`${server!.url}/api/upload/files?pagination[pageSize]=100`));
    expect(list).toHaveLength(12);
    for (const file of list) {
      const original = readFileSync(join(newRoot, file.url.replace(/^.*\/uploads\//, '')));
      expect(sha256(original)).toBe(sha256(bytes.get(file.name)!));
      for (const f of Object.values(file.formats ?? {}) as Array<{ url: string; sizeInBytes: number }>) {
        expect(readFileSync(join(newRoot, f.url.replace(/^.*\/uploads\//, ''))).length).toBe(f.sizeInBytes);
      }
    }
    // The old objects stay without --delete-source.
    expect(existsSync(join(server!.dir, 'uploads', list[0].url.replace(/^.*\/uploads\//, '')))).toBe(true);
  });

  test('--switch is refused while objects are left; a second run copies nothing; a file stored since is copied first', async () => {
    const { config, newRoot } = await seeded(4, 0);
    const to = JSON.stringify({
      name: 'local',
      options: { root: newRoot, secret: 'the-first-secret-of-at-least-32-chars' },
    });
    const switchFirst = await migrateOnce(['--config', config, '--to', to, '--dry-run', '--switch']);
    expect(switchFirst.code).toBe(1);
    expect(switchFirst.stderr).toMatch(/Refusing to --switch: 4 objects are not copied yet/);
    const first = await migrateOnce(['--config', config, '--to', to]);
    expect(first.code).toBe(0);
    expect(first.stderr).toMatch(/Copied 4 objects/);
    const again = await migrateOnce(['--config', config, '--to', to]);
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/4 already copied, 0 to copy/);
    expect(again.stderr).toMatch(/Copied 0 objects/);
    // Progress is kept per target, secrets apart: new credentials for the same target resume it.
    const rotated = JSON.parse(to);
    rotated.options.secret = 'a-new-secret-of-at-least-32-characters!!';
    const resumed = await migrateOnce(['--config', config, '--to', JSON.stringify(rotated), '--dry-run']);
    expect(resumed.stderr).toMatch(/4 already copied, 0 to copy/);

    // A file stored after the copy: --switch copies it first, then switches.
    await fetch(`${server!.url}/api/upload`, {
      method: 'POST',
      body: form([{ filename: 'late.txt', content: 'late' }]),
    });
    const late = await migrateOnce(['--config', config, '--to', to, '--switch']);
    expect(late.stderr).toMatch(/4 already copied, 1 to copy/);
    expect(late.code).toBe(0);
  });

  test('--delete-source removes the old objects after the switch, and needs --switch', async () => {
    const { config, to } = await seeded(3, 1);
    const refused = await migrateOnce(['--config', config, '--to', to, '--delete-source']);
    expect(refused.code).toBe(64);
    expect(refused.stderr).toMatch(/--delete-source needs --switch/);
    const run = await migrateOnce(['--config', config, '--to', to, '--switch', '--delete-source']);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/Deleted 5 objects from "local"/);
    const list = await json(await fetch(`${server!.url}/api/upload/files`));
    for (const file of list) {
      const key = file.url.replace(/^.*\/uploads\//, '');
      expect(existsSync(join(server!.dir, 'uploads', key))).toBe(false);
      expect(existsSync(join(server!.dir, 'new-root', key))).toBe(true);
    }
  });
});

describe('upload-server migrate checks every copy', () => {
  test('a target that stores different bytes is caught by reading the copy back: listed, removed, never done', async () => {
    const { config } = await seeded(3, 0);
    const root = join(server!.dir, 'corrupted');
    const to = JSON.stringify({ name: join(__dirname, 'helpers', 'corrupting-provider.mjs'), options: { root } });
    for (const attempt of [1, 2]) {
      const run = await migrateOnce(['--config', config, '--to', to]);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/3 failed \(run the command again to retry them\)/);
      expect(run.stderr).toMatch(/INTEGRITY: .*the copy read back differs from the source \(SHA-256\)/);
      // Every failed copy is removed, and the next run tries again from scratch.
      expect(readdirSync(root).filter((f) => !f.startsWith('upload-server-migrate-probe'))).toEqual([]);
      if (attempt === 2) expect(run.stderr).toMatch(/0 already copied, 3 to copy/);
    }
  });
});

describe('upload-server migrate on a terminal', () => {
  test('draws a progress bar with files, bytes, rate and ETA (run under a pseudo-terminal with script(1))', async () => {
    const { config, to } = await seeded(6, 1);
    const command = [process.execPath, CLI, 'migrate', '--config', config, '--to', to].map((a) => `'${a}'`).join(' ');
    const run = spawnSync('script', ['-qfec', command, '/dev/null'], { cwd: join(__dirname, '..'), encoding: 'utf8' });
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(
      /[█░]+ 100% \| 8\/8 files \| [\d.]+ MiB of [\d.]+ MiB \| [\d.]+ MiB\/s \| ETA \d+s \| 0 failed/,
    );
    // No plain progress lines on a terminal.
    expect(run.stdout).not.toMatch(/^migrate: /m);
  });
});

describe('upload-server migrate refuses a bad target before copying anything', () => {
  test("a misconfigured target is refused with the provider's own option errors", async () => {
    const { config } = await seeded(2, 0);
    const bad = await migrateOnce([
      '--config',
      config,
      '--to',
      '{"name":"aws-s3","options":{"bucket":"","partSize":1}}',
    ]);
    expect(bad.code).toBe(78);
    expect(bad.stderr).toMatch(/Invalid target provider "aws-s3"/);
    expect(bad.stderr).toMatch(/bucket/);
    expect(bad.stderr).toMatch(/partSize/);
    const missing = await migrateOnce(['--config', config, '--to', 'azure-blob']);
    expect(missing.code).toBe(78);
    expect(missing.stderr).toMatch(/npm install upload-provider-azure-blob/);
    const notJson = await migrateOnce(['--config', config, '--to', '{"name":']);
    expect(notJson.code).toBe(64);
    expect(notJson.stderr).toMatch(/--to: the JSON does not parse/);
  });

  test('an unreachable target is refused, and nothing is recorded as copied', async () => {
    const { config, to } = await seeded(2, 0);
    const unreachable = JSON.stringify({
      name: 'aws-s3',
      options: {
        bucket: 'b',
        region: 'us-east-1',
        endpoint: 'http://127.0.0.1:9',
        forcePathStyle: true,
        credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
      },
    });
    const run = await migrateOnce(['--config', config, '--to', unreachable]);
    expect(run.code).toBe(69);
    expect(run.stderr).toMatch(/cannot be written, so nothing was copied/);
    const next = await migrateOnce(['--config', config, '--to', to, '--dry-run']);
    expect(next.stderr).toMatch(/0 already copied, 2 to copy/);
  });
});
