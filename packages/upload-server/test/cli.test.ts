import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { runCli, startCli } from './helpers/cli.js';
import { eventually, form, json } from './helpers/http.js';

const FIXTURE = join(__dirname, 'helpers', 'fixture-provider.mjs');
let cwd: string;

beforeEach(() => {
  cwd = mkdtempSync(join(tmpdir(), 'upload-server-cli-'));
});
afterEach(() => rmSync(cwd, { recursive: true, force: true }));

function writeConfig(name: string, text: string): void {
  writeFileSync(join(cwd, name), text);
}

const baseConfig = () => ({ port: 0, provider: { name: FIXTURE, options: { root: join(cwd, 'objects') } } });

describe('upload-server CLI', () => {
  test('--help prints the usage; an unknown command exits 64 with the usage', async () => {
    const help = await runCli(['--help'], { cwd });
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/upload-server start \[--config FILE\] \[--port N\] \[--host H\]/);
    const bad = await runCli(['frobnicate'], { cwd });
    expect(bad.code).toBe(64);
    expect(bad.stderr).toMatch(/Unknown command "frobnicate"/);
  });

  test('an invalid configuration stops start-up with a message naming each bad field', async () => {
    writeConfig('upload.config.json', JSON.stringify({ sizeLimit: 'lots', publicRead: 'yes', colour: 'blue' }));
    const run = await runCli(['start'], { cwd, env: { PORT: '99999' } });
    expect(run.code).toBe(78);
    expect(run.stderr).toMatch(/Invalid upload-server configuration/);
    for (const field of ['sizeLimit', 'publicRead', 'colour', 'port \\[PORT\\]']) {
      expect(run.stderr).toMatch(new RegExp(`- ${field}`));
    }
  });

  test('a provider that cannot be found, or whose options are wrong, stops start-up naming it', async () => {
    writeConfig('upload.config.json', JSON.stringify({ port: 0, provider: { name: 'nope' } }));
    const missing = await runCli(['start'], { cwd });
    expect(missing.code).toBe(78);
    expect(missing.stderr).toMatch(/provider "nope"/);
    expect(missing.stderr).toMatch(/upload-provider-nope/);
    writeConfig('upload.config.json', JSON.stringify({ port: 0, provider: { name: FIXTURE, options: { rot: 'x' } } }));
    const bad = await runCli(['start'], { cwd });
    expect(bad.code).toBe(78);
    expect(bad.stderr).toMatch(/invalid options: .*root/);
  });

  test('binding to 0.0.0.0 with no token refuses to start', async () => {
    writeConfig('upload.config.json', JSON.stringify(baseConfig()));
    const run = await runCli(['start', '--host', '0.0.0.0'], { cwd });
    expect(run.code).toBe(78);
    expect(run.stderr).toMatch(/Refusing to listen on 0\.0\.0\.0 without an API token/);
  });

  test('start: SQLite under ./.data, a loud warning without tokens, health, uploads, SIGTERM exits 0', async () => {
    writeConfig('upload.config.json', JSON.stringify(baseConfig()));
    const server = await startCli([], { cwd });
    try {
      expect(server.output()).toMatch(/NO API TOKEN IS CONFIGURED/);
      expect(existsSync(join(cwd, '.data', 'upload.db'))).toBe(true);
      const health = await fetch(`${server.url}/_health`);
      expect(await json(health)).toEqual({ status: 'ok', database: 'sqlite', provider: 'fixture-disk' });
      const up = await fetch(`${server.url}/api/upload`, {
        method: 'POST',
        body: form([{ filename: 'a.txt', content: 'hi' }]),
      });
      expect(up.status).toBe(201);
      // Structured logs: one JSON object per line.
      const lines = server.output().trim().split('\n');
      for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
    } finally {
      server.child.kill('SIGTERM');
    }
    expect(await server.exited).toBe(0);
  });

  test('no configuration at all: local files and SQLite under ./.data of the working directory', async () => {
    // What `pnpm start` from the repository root does on a fresh clone (with port 0 instead of 1337).
    const server = await startCli(['--port', '0'], { cwd });
    try {
      const up = await fetch(`${server.url}/api/upload`, {
        method: 'POST',
        body: form([{ filename: 'readme.txt', content: 'first file' }]),
      });
      expect(up.status).toBe(201);
      const [file] = await json(up);
      expect(file.provider).toBe('local');
      expect(existsSync(join(cwd, '.data', 'upload.db'))).toBe(true);
      expect(existsSync(join(cwd, '.data', 'uploads', `${file.hash}.txt`))).toBe(true);
      expect(await (await fetch(`${server.url}${file.url}`)).text()).toBe('first file');
    } finally {
      server.child.kill('SIGTERM');
    }
    expect(await server.exited).toBe(0);
  });

  test('graceful shutdown lets an upload in flight finish', async () => {
    writeConfig('upload.config.json', JSON.stringify(baseConfig()));
    const server = await startCli([], { cwd });
    const boundary = 'inflight';
    const head = `--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="slow.txt"\r\nContent-Type: text/plain\r\n\r\n`;
    const tail = `\r\n--${boundary}--\r\n`;
    const half = 'a'.repeat(100_000);
    const done = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${server.url}/api/upload`, {
        method: 'POST',
        headers: {
          'content-type': `multipart/form-data; boundary=${boundary}`,
          'content-length': String(Buffer.byteLength(head) + 2 * half.length + Buffer.byteLength(tail)),
        },
      });
      req.on('response', (res) => {
        let body = '';
        res.on('data', (d) => {
          body += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.write(head + half);
      // Once the server is writing the object (the upload is in flight), ask it to stop, then send the rest.
      eventually(
        async () => existsSync(join(cwd, 'objects')) && readdirSync(join(cwd, 'objects')).length > 0,
        'upload starts',
      )
        .then(() => {
          server.child.kill('SIGTERM');
          return eventually(async () => /shutting down/.test(server.output()), 'the server begins its shutdown');
        })
        .then(() => req.end(half + tail), reject);
    });
    const res = await done;
    expect(res.status).toBe(201);
    expect(JSON.parse(res.body)[0].size).toBe(200);
    expect(await server.exited).toBe(0);
    expect(server.output()).toMatch(/shutting down/);
  });

  test('token create prints the token once, stores only its hash; the server then requires it', async () => {
    writeConfig('upload.config.json', JSON.stringify(baseConfig()));
    const created = await runCli(['token', 'create', '--name', 'ci', '--access', 'full-access'], { cwd });
    expect(created.code).toBe(0);
    const token = created.stdout.trim();
    expect(token).toMatch(/^ups_[A-Za-z0-9_-]{43}$/);
    expect(created.stderr).toMatch(/shown only this once/);
    const again = await runCli(['token', 'create', '--name', 'ci'], { cwd });
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already exists/);
    const badAccess = await runCli(['token', 'create', '--name', 'x', '--access', 'admin'], { cwd });
    expect(badAccess.code).toBe(1);
    expect(badAccess.stderr).toMatch(/--access must be read-only or full-access/);

    const server = await startCli([], { cwd });
    try {
      expect(server.output()).not.toMatch(/NO API TOKEN/);
      expect((await fetch(`${server.url}/api/upload/files`)).status).toBe(401);
      const ok = await fetch(`${server.url}/api/upload/files`, { headers: { authorization: `Bearer ${token}` } });
      expect(ok.status).toBe(200);
      expect(server.output()).not.toContain(token);
    } finally {
      server.child.kill('SIGTERM');
    }
    expect(await server.exited).toBe(0);
  });

  test('upload.config.ts is compiled and loaded (and its temporary module removed); flags win', async () => {
    writeConfig(
      'upload.config.ts',
      `interface Partial { port: number; provider: { name: string; options: Record<string, unknown> } }
const config: Partial = ${JSON.stringify({ ...baseConfig(), port: 1 })};
export default config satisfies Partial;
`,
    );
    const server = await startCli(['--port', '0'], { cwd });
    try {
      expect(server.output()).toContain(join(cwd, 'upload.config.ts'));
      expect((await fetch(`${server.url}/_health`)).status).toBe(200);
      expect(readdirSync(cwd).filter((f) => f.endsWith('.mjs'))).toEqual([]);
    } finally {
      server.child.kill('SIGTERM');
    }
    expect(await server.exited).toBe(0);
  });

  test('--config with a .mjs file exporting a function; DATABASE_URL picks the SQLite file', async () => {
    writeConfig('custom.mjs', `export default () => (${JSON.stringify(baseConfig())});\n`);
    const server = await startCli(['--config', 'custom.mjs'], { cwd, env: { DATABASE_URL: 'sqlite:./meta.db' } });
    try {
      expect(existsSync(join(cwd, 'meta.db'))).toBe(true);
    } finally {
      server.child.kill('SIGINT');
    }
    expect(await server.exited).toBe(0);
  });
});
