import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { isLoopbackHost } from '../src/access.js';
import { buildApp, StartupError } from '../src/app.js';
import { hashToken, sameHash, tokenFromHeader } from '../src/auth/tokens.js';
import { parseConfig } from '../src/config/load.js';
import { redactUrl } from '../src/logging.js';
import { diskProvider } from './helpers/disk-provider.js';
import { form, json } from './helpers/http.js';
import { forEachDatabase, type Harness, startHarness } from './helpers/suite.js';

const FULL = 'full-access-token-0123456789abcdef';
const READ = 'read-only-token-0123456789abcdef';

forEachDatabase('access with tokens', (kind) => {
  let h: Harness;
  let stored: string;
  beforeAll(async () => {
    h = await startHarness(kind, {
      config: {
        tokens: [
          { name: 'writer', token: FULL, access: 'full-access' },
          { name: 'reader', hash: hashToken(READ), access: 'read-only' },
        ],
      },
    });
    // A token made by `upload-server token create` lives in the database, hashed.
    stored = 'stored-token-0123456789abcdefghij';
    await h.server.app.uploads.repo.createToken({ name: 'cli', tokenHash: hashToken(stored), access: 'full-access' });
  });
  afterAll(() => h.server.close());

  const call = (path: string, init: RequestInit & { token?: string; scheme?: string } = {}) => {
    const headers = new Headers(init.headers);
    if (init.token) headers.set('authorization', `${init.scheme ?? 'Bearer'} ${init.token}`);
    return fetch(`${h.url}${path}`, { ...init, headers });
  };
  const uploadWith = (token?: string, scheme?: string) =>
    call('/api/upload', {
      method: 'POST',
      body: form([{ filename: 'a.txt', content: 'a' }]),
      ...(token ? { token } : {}),
      ...(scheme ? { scheme } : {}),
    });

  test('no token or a wrong one: 401 UnauthorizedError, before the body is stored', async () => {
    const before = await h.objects();
    for (const res of [
      await uploadWith(),
      await uploadWith('wrong-token-0123456789abcdef'),
      await call('/api/upload/files'),
    ]) {
      expect(res.status).toBe(401);
      expect((await json(res)).error).toMatchObject({ status: 401, name: 'UnauthorizedError' });
    }
    expect(await h.objects()).toEqual(before);
  });

  test('a read-only token reads, and gets 403 ForbiddenError when it writes', async () => {
    const list = await call('/api/upload/files', { token: READ });
    expect(list.status).toBe(200);
    const write = await uploadWith(READ);
    expect(write.status).toBe(403);
    expect((await json(write)).error).toMatchObject({ status: 403, name: 'ForbiddenError' });
    const del = await call('/api/upload/files/1', { method: 'DELETE', token: READ });
    expect(del.status).toBe(403);
  });

  test('a full-access token writes, as Bearer or Token; so does a token stored in the database', async () => {
    expect((await uploadWith(FULL)).status).toBe(201);
    expect((await uploadWith(FULL, 'Token')).status).toBe(201);
    expect((await uploadWith(FULL, 'bearer')).status).toBe(201);
    expect((await uploadWith(stored)).status).toBe(201);
    const row = await h.server.app.uploads.repo.findTokenByHash(hashToken(stored));
    expect(row?.token_hash).toBe(hashToken(stored));
    expect(row?.name).toBe('cli');
  });

  test('the health check needs no token', async () => {
    expect((await call('/_health')).status).toBe(200);
  });
});

forEachDatabase('publicRead', (kind) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(kind, { config: { publicRead: true, tokens: [{ name: 'w', token: FULL }] } });
  });
  afterAll(() => h.server.close());

  test('GETs need no token; writes still do', async () => {
    expect((await fetch(`${h.url}/api/upload/files`)).status).toBe(200);
    const write = await fetch(`${h.url}/api/upload`, {
      method: 'POST',
      body: form([{ filename: 'a.txt', content: 'a' }]),
    });
    expect(write.status).toBe(401);
    const bad = await fetch(`${h.url}/api/upload/files`, {
      headers: { authorization: 'Bearer not-a-real-token-000000' },
    });
    expect(bad.status).toBe(401);
  });
});

forEachDatabase('no token configured', (kind) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(kind);
  });
  afterAll(() => h.server.close());

  test('anonymous callers may read and write (loopback only)', async () => {
    const res = await fetch(`${h.url}/api/upload`, {
      method: 'POST',
      body: form([{ filename: 'a.txt', content: 'a' }]),
    });
    expect(res.status).toBe(201);
  });
});

describe('binding', () => {
  const dir = mkdtempSync(join(tmpdir(), 'upload-server-bind-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('a non-loopback host with no token refuses to start, saying what to do', async () => {
    const config = parseConfig({ host: '0.0.0.0', dataDir: dir, logLevel: 'silent' });
    const attempt = buildApp(config, { logger: false, provider: diskProvider(join(dir, 'objects')) });
    await expect(attempt).rejects.toBeInstanceOf(StartupError);
    await expect(buildApp(config, { logger: false, provider: diskProvider(join(dir, 'objects')) })).rejects.toThrow(
      /Refusing to listen on 0\.0\.0\.0 without an API token.*token create/s,
    );
  });

  test('with a token the same host is accepted', async () => {
    const config = parseConfig({
      host: '0.0.0.0',
      dataDir: dir,
      logLevel: 'silent',
      tokens: [{ name: 'w', token: FULL }],
    });
    const app = await buildApp(config, { logger: false, provider: diskProvider(join(dir, 'objects')) });
    await app.close();
  });

  test('loopback hosts', () => {
    for (const host of ['127.0.0.1', '127.8.9.1', '::1', '[::1]', 'localhost']) expect(isLoopbackHost(host)).toBe(true);
    for (const host of ['0.0.0.0', '::', '10.0.0.1', '192.168.1.2', 'example.com'])
      expect(isLoopbackHost(host)).toBe(false);
  });
});

describe('token helpers', () => {
  test('Authorization schemes', () => {
    expect(tokenFromHeader('Bearer abc')).toBe('abc');
    expect(tokenFromHeader('Token abc')).toBe('abc');
    expect(tokenFromHeader('Basic abc')).toBeUndefined();
    expect(tokenFromHeader('Bearer')).toBeUndefined();
    expect(tokenFromHeader(undefined)).toBeUndefined();
  });

  test('hashes are compared whole', () => {
    expect(sameHash(hashToken('a'), hashToken('a'))).toBe(true);
    expect(sameHash(hashToken('a'), hashToken('b'))).toBe(false);
    expect(sameHash(hashToken('a'), '')).toBe(false);
  });
});

describe('log lines', () => {
  test('URLs in logs lose secrets: download secrets in the path, signatures and tokens in the query', () => {
    expect(redactUrl('/api/files/abcdef123?download=1')).toBe('/api/files/[redacted]?download=1');
    expect(redactUrl('/api/files/from-url')).toBe('/api/files/from-url');
    expect(redactUrl('/api/files/sign-urls')).toBe('/api/files/sign-urls');
    expect(redactUrl('/uploads/a.png?expires=1&signature=abc&w=2')).toBe(
      '/uploads/a.png?expires=[redacted]&signature=[redacted]&w=2',
    );
    expect(redactUrl('/api/upload/files?filters[name][$eq]=x')).toBe('/api/upload/files?filters[name][$eq]=x');
  });
});

forEachDatabase('CORS', (kind) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(kind, {
      config: { corsOrigins: ['https://app.example.com'], tokens: [{ name: 'w', token: FULL }] },
    });
  });
  afterAll(() => h.server.close());

  test('a preflight from an allowed origin is answered without a token; others get no CORS headers', async () => {
    const preflight = await fetch(`${h.url}/api/upload`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://app.example.com',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/Authorization/);
    const list = await fetch(`${h.url}/api/upload/files`, {
      headers: { origin: 'https://app.example.com', authorization: `Bearer ${FULL}` },
    });
    expect(list.status).toBe(200);
    expect(list.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    const other = await fetch(`${h.url}/api/upload/files`, {
      headers: { origin: 'https://evil.example', authorization: `Bearer ${FULL}` },
    });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const denied = await fetch(`${h.url}/api/upload/files`, { headers: { origin: 'https://app.example.com' } });
    expect(denied.status).toBe(401);
  });
});
