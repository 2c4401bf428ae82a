import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { ConfigError, loadConfig, parseConfig } from '../src/config/load.js';

let cwd: string;
beforeEach(() => {
  cwd = mkdtempSync(join(tmpdir(), 'upload-server-config-'));
});
afterEach(() => rmSync(cwd, { recursive: true, force: true }));

async function problems(promise: Promise<unknown>): Promise<ConfigError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConfigError);
  return error as ConfigError;
}

describe('loadConfig', () => {
  test('no file, no environment: the documented defaults, data under ./.data of the working directory', async () => {
    const { config, file } = await loadConfig({ cwd, env: {} });
    expect(file).toBeUndefined();
    expect(config).toMatchObject({
      host: '127.0.0.1',
      port: 1337,
      dataDir: join(cwd, '.data'),
      provider: { name: 'local', options: {} },
      database: {},
      sizeLimit: 200 * 1024 * 1024,
      allowedTypes: [],
      deniedTypes: [],
      publicRead: false,
      tokens: [],
      images: { formats: true, breakpoints: { large: 1000, medium: 750, small: 500 } },
      pagination: { defaultPageSize: 25, maxPageSize: 100 },
      signedUrlExpiresIn: 900,
    });
  });

  test('upload.config.json in the working directory, then the environment, then overrides', async () => {
    writeFileSync(
      join(cwd, 'upload.config.json'),
      JSON.stringify({ port: 4000, sizeLimit: 1000, provider: { name: 'aws-s3', options: { bucket: 'b' } } }),
    );
    const { config, file } = await loadConfig({
      cwd,
      env: {
        PORT: '5000',
        HOST: '::1',
        DATABASE_URL: 'postgres://u@db/x',
        UPLOAD_ALLOWED_TYPES: 'image/*, application/pdf',
        UPLOAD_PUBLIC_READ: 'true',
        UPLOAD_PROVIDER_OPTIONS: '{"bucket":"from-env"}',
      },
      overrides: { port: 6000 },
    });
    expect(file).toBe(join(cwd, 'upload.config.json'));
    expect(config).toMatchObject({
      port: 6000,
      host: '::1',
      sizeLimit: 1000,
      database: { url: 'postgres://u@db/x' },
      allowedTypes: ['image/*', 'application/pdf'],
      publicRead: true,
      provider: { name: 'aws-s3', options: { bucket: 'from-env' } },
    });
  });

  test('UPLOAD_CONFIG and an explicit file win over the lookup; a missing file is an error naming it', async () => {
    writeFileSync(join(cwd, 'other.json'), JSON.stringify({ port: 1234 }));
    expect((await loadConfig({ cwd, env: { UPLOAD_CONFIG: 'other.json' } })).config.port).toBe(1234);
    const error = await problems(loadConfig({ cwd, env: {}, file: 'missing.json' }));
    expect(error.message).toContain(join(cwd, 'missing.json'));
  });

  test('UPLOAD_TOKEN adds a full-access token', async () => {
    const { config } = await loadConfig({ cwd, env: { UPLOAD_TOKEN: 'a-long-enough-token-value' } });
    expect(config.tokens).toEqual([
      { name: 'env:UPLOAD_TOKEN', token: 'a-long-enough-token-value', access: 'full-access' },
    ]);
  });

  test('publicSecretLinks is off by default; UPLOAD_PUBLIC_SECRET_LINKS turns it on', async () => {
    expect((await loadConfig({ cwd, env: {} })).config.publicSecretLinks).toBe(false);
    const { config } = await loadConfig({ cwd, env: { UPLOAD_PUBLIC_SECRET_LINKS: 'true' } });
    expect(config.publicSecretLinks).toBe(true);
  });

  test('every bad field is named at once, with where its value came from', async () => {
    writeFileSync(
      join(cwd, 'upload.config.json'),
      JSON.stringify({
        sizeLimit: -1,
        allowedTypes: ['images'],
        tokens: [{ name: 'x', token: 'short', access: 'admin' }],
        contentTypes: { 'api::a.a': { cover: 'one' } },
        surprise: true,
      }),
    );
    const error = await problems(loadConfig({ cwd, env: { PORT: 'eighty', UPLOAD_PUBLIC_READ: 'maybe' } }));
    const paths = error.problems.map((p) => p.path).sort();
    expect(paths).toEqual(
      [
        'allowedTypes.0',
        'contentTypes.api::a.a.cover',
        'port',
        'publicRead',
        'sizeLimit',
        'surprise',
        'tokens.0.access',
        'tokens.0.token',
      ].sort(),
    );
    expect(error.message).toMatch(/port \[PORT\]/);
    expect(error.message).toMatch(/publicRead \[UPLOAD_PUBLIC_READ\]: must be true or false/);
    expect(error.message).toMatch(/sizeLimit \[upload\.config\.json\]/);
    expect(error.message).toMatch(/surprise \[upload\.config\.json\]: is not a known option/);
    expect(error.message).toMatch(/allowedTypes\.0 .*must be a MIME type/);
  });

  test('orphanGraceMs: an hour by default, UPLOAD_ORPHAN_GRACE_MS sets it, 0 is allowed, a negative one is named', async () => {
    expect((await loadConfig({ cwd, env: {} })).config.orphanGraceMs).toBe(60 * 60 * 1000);
    expect((await loadConfig({ cwd, env: { UPLOAD_ORPHAN_GRACE_MS: '0' } })).config.orphanGraceMs).toBe(0);
    expect((await loadConfig({ cwd, env: { UPLOAD_ORPHAN_GRACE_MS: '300000' } })).config.orphanGraceMs).toBe(300_000);
    const error = await problems(loadConfig({ cwd, env: { UPLOAD_ORPHAN_GRACE_MS: '-5' } }));
    expect(error.message).toMatch(/orphanGraceMs \[UPLOAD_ORPHAN_GRACE_MS\]/);
  });

  test('a from-url allow-list entry that is neither a host nor an address range is named', async () => {
    writeFileSync(
      join(cwd, 'upload.config.json'),
      JSON.stringify({ fromUrl: { allow: ['10.0.0.0/8', '10.0.0.0/99', 'not a host!'] } }),
    );
    const error = await problems(loadConfig({ cwd, env: {} }));
    expect(error.problems.map((p) => p.path).sort()).toEqual(['fromUrl.allow.1', 'fromUrl.allow.2']);
  });

  test('provider given as a bare name, with its options from the environment', async () => {
    writeFileSync(join(cwd, 'upload.config.json'), JSON.stringify({ provider: 'aws-s3' }));
    const { config } = await loadConfig({ cwd, env: { UPLOAD_PROVIDER_OPTIONS: '{"bucket":"media"}' } });
    expect(config.provider).toEqual({ name: 'aws-s3', options: { bucket: 'media' } });
  });

  test('invalid JSON in the file is reported with the file name', async () => {
    writeFileSync(join(cwd, 'upload.config.json'), '{ port: 1 ');
    const error = await problems(loadConfig({ cwd, env: {} }));
    expect(error.message).toMatch(/upload\.config\.json.*not valid JSON/s);
  });

  test('a token given both as token and hash, or neither, is refused', () => {
    expect(() => parseConfig({ tokens: [{ name: 'a' }] })).toThrow(/exactly one of "token" or "hash"/);
    expect(() => parseConfig({ tokens: [{ name: 'a', token: 'x'.repeat(20), hash: 'a'.repeat(64) }] })).toThrow(
      /exactly one/,
    );
  });
});
