#!/usr/bin/env node
// Proves the published shape works: packs the contract and the local provider with `pnpm pack`, installs the
// tarballs into an empty project outside the workspace with npm, then imports them there and stores, signs and
// reads back a file through the real package entry points. Exits non-zero on any failure.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
// The server is left out: its better-sqlite3 would rebuild from source (about 90 s) in every run.
const packages = [
  'upload-provider',
  'upload-provider-local',
  'upload-provider-conformance',
  'upload-provider-memory',
  'create-upload-provider',
  'upload-provider-aws-s3',
  'upload-provider-gcs',
  'upload-provider-cloudinary',
  'upload-provider-strapi',
  'upload-provider-mirror',
];
const work = mkdtempSync(join(tmpdir(), 'pack-check-'));
const run = (cmd, args, cwd) =>
  execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });

try {
  const tarballs = packages.map((name) => {
    run('pnpm', ['pack', '--pack-destination', work], join(root, 'packages', name));
    const file = readdirSync(work).find(
      (f) => f.startsWith(`${name}-`) && f.endsWith('.tgz') && !f.slice(name.length + 1).match(/^[a-z]/),
    );
    if (!file) throw new Error(`pnpm pack made no tarball for ${name}`);
    return join(work, file);
  });
  const app = join(work, 'app');
  run('mkdir', ['-p', app]);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'pack-check-app', private: true, type: 'module' }));
  run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...tarballs], app);
  writeFileSync(
    join(app, 'check.mjs'),
    `
import assert from 'node:assert/strict';
import { buildKey, isProviderError, loadProvider } from 'upload-provider';
import { localProvider, createLocalHandler } from 'upload-provider-local';
import { decodePostPolicy } from 'upload-provider-conformance';
assert.equal(typeof decodePostPolicy, 'function');
const provider = await loadProvider('local', { root: './data', baseUrl: 'http://127.0.0.1:1/uploads', private: true, secret: 'x'.repeat(40) });
assert.equal(provider.name, 'local');
assert.equal(typeof createLocalHandler(provider), 'function');
const stored = await provider.upload({ key: buildKey('hello.txt'), body: Buffer.from('hello'), mime: 'text/plain', name: 'hello.txt' });
const chunks = [];
for await (const c of await provider.read(stored)) chunks.push(c);
assert.equal(Buffer.concat(chunks).toString(), 'hello');
assert.ok((await provider.signUrl(stored)).url.includes('uploads'));
try { localProvider({}); assert.fail('options must be validated'); } catch (e) { assert.ok(isProviderError(e, 'INVALID_OPTIONS')); }
const s3 = await loadProvider('aws-s3', { bucket: 'my-bucket', region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 's' } });
assert.equal(s3.name, 'aws-s3');
assert.match((await s3.signUrl({ key: 'a b.txt' })).url, /X-Amz-Signature=/);
const gcs = await loadProvider('gcs', { bucket: 'my-bucket', projectId: 'my-project' });
assert.equal(gcs.name, 'gcs');
const cld = await loadProvider('cloudinary', { cloudName: 'c', apiKey: 'k', apiSecret: 's' });
assert.equal(cld.name, 'cloudinary');
// The Strapi bridge both ways: a Strapi provider module run as ours, and ours required by CommonJS as Strapi does.
const { writeFileSync } = await import('node:fs');
writeFileSync('./strapi-memory.cjs', 'const m = new Map(); module.exports = { init: () => ({ async uploadStream(f) { const c = []; for await (const x of f.stream) c.push(x); m.set(f.hash, Buffer.concat(c)); f.url = "https://cdn.example/" + f.hash + f.ext; }, async delete(f) { m.delete(f.hash); } }) };');
const bridge = await loadProvider('strapi', { provider: './strapi-memory.cjs' });
assert.equal(bridge.name, 'strapi');
const bridged = await bridge.upload({ key: 'a.txt', body: Buffer.from('hi'), mime: 'text/plain', name: 'a.txt' });
assert.ok(bridged.url.startsWith('https://cdn.example/a_') && bridged.url.endsWith('.txt'), bridged.url);
await bridge.close();
const { createRequire } = await import('node:module');
const strapiModule = createRequire(import.meta.url)('upload-provider-strapi/strapi');
const inStrapi = strapiModule.init({ provider: 'local', options: { root: './strapi-uploads', baseUrl: '/uploads' } });
assert.deepEqual(Object.keys(inStrapi).sort(), ['checkFileSize', 'delete', 'getSignedUrl', 'isPrivate', 'upload', 'uploadStream']);
assert.equal(await inStrapi.isPrivate(), false);
// The mirror loads its named providers with require (of ES modules) from the application's folder.
const mirror = await loadProvider('mirror', {
  primary: { name: 'local', options: { root: './m1', baseUrl: 'http://127.0.0.1:1/a' } },
  mirrors: [{ name: 'local', options: { root: './m2', baseUrl: 'http://127.0.0.1:1/b' } }],
});
await mirror.upload({ key: 'm.txt', body: Buffer.from('both'), mime: 'text/plain', name: 'm.txt' });
assert.equal((await import('node:fs')).readFileSync('./m2/m.txt', 'utf8'), 'both');
console.log('pack-check: ${packages.join(', ')} install from their tarballs into an empty project and work there');
`,
  );
  process.stdout.write(run('node', ['check.mjs'], app));
} finally {
  rmSync(work, { recursive: true, force: true });
}
