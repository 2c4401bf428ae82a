// GET /metrics: Prometheus text from prom-client, counting what the server did (requests by route pattern and status,
// bytes stored and served, provider calls by method and result, sweeps, uploads in flight), behind a token once
// tokens exist.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { form, json } from './helpers/http.js';
import { startServer, type TestServer } from './helpers/server.js';

const READ = 'metrics-reader-token-0123456789';
const FULL = 'metrics-writer-token-0123456789';

/** The value of one sample line, e.g. `upload_server_uploaded_bytes_total`, or undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) return Number(line.split(' ').pop());
  }
  return undefined;
}

describe('GET /metrics', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({
      config: {
        publicRead: true,
        tokens: [
          { name: 'reader', token: READ, access: 'read-only' },
          { name: 'writer', token: FULL, access: 'full-access' },
        ],
      },
    });
  });
  afterAll(() => server?.close());

  const metrics = async (token?: string) => {
    const res = await fetch(`${server.url}/metrics`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
    return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
  };

  test('needs a token even when publicRead lets other GETs through; a read-only token is enough', async () => {
    expect((await fetch(`${server.url}/api/upload/files`)).status).toBe(200);
    const anonymous = await metrics();
    expect(anonymous.status).toBe(401);
    expect(JSON.parse(anonymous.text).error.message).toMatch(/needs a token/);
    expect((await metrics('not-a-token-at-all-xxxxxx')).status).toBe(401);
    const read = await metrics(READ);
    expect(read.status).toBe(200);
    expect(read.type).toMatch(/^text\/plain; version=0\.0\.4/);
  });

  test('counts an upload, a download and its bytes, by route pattern and status, and the provider calls', async () => {
    const content = 'x'.repeat(1234);
    const up = await fetch(`${server.url}/api/files`, {
      method: 'POST',
      headers: { authorization: `Bearer ${FULL}` },
      body: form([{ name: 'file', filename: 'm.txt', content }]),
    });
    expect(up.status).toBe(201);
    const { secret } = (await json(up)) as { secret: string };
    const down = await fetch(`${server.url}/api/files/${secret}`, { headers: { authorization: `Bearer ${READ}` } });
    expect(await down.text()).toBe(content);
    const refused = await fetch(`${server.url}/api/upload/files/1`, { method: 'DELETE' });
    expect(refused.status).toBe(401);

    const { text } = await metrics(READ);
    const count = (route: string, method: string, status: string) =>
      sample(text, 'upload_server_http_request_duration_seconds_count', { route, method, status });
    expect(count('/api/files', 'POST', '201')).toBe(1);
    // The route pattern, never the secret itself.
    expect(count('/api/files/:secret', 'GET', '200')).toBe(1);
    expect(text).not.toContain(secret);
    expect(count('/api/upload/files/:id', 'DELETE', '401')).toBe(1);
    expect(sample(text, 'upload_server_uploaded_bytes_total')).toBe(1234);
    expect(sample(text, 'upload_server_served_bytes_total')).toBe(1234);
    expect(sample(text, 'upload_server_provider_call_duration_seconds_count', { method: 'upload', result: 'ok' })).toBe(
      1,
    );
    expect(sample(text, 'upload_server_provider_call_duration_seconds_count', { method: 'read', result: 'ok' })).toBe(
      1,
    );
    expect(sample(text, 'upload_server_uploads_in_flight')).toBe(0);
    // The direct-upload sweep ran at start-up.
    expect(sample(text, 'upload_server_sweeps_total', { kind: 'direct-uploads' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'process_cpu_user_seconds_total')).toBeDefined();
  });

  test('a provider error is counted by its contract code', async () => {
    const gone = await fetch(`${server.url}/api/files/${'A'.repeat(32)}`, {
      headers: { authorization: `Bearer ${READ}` },
    });
    expect(gone.status).toBe(404);
    // A stat of a missing object is not an error; a read of one is NOT_FOUND. Ask the provider through the route
    // that reads: delete the row's object behind the server's back, then download.
    const up = await fetch(`${server.url}/api/files`, {
      method: 'POST',
      headers: { authorization: `Bearer ${FULL}` },
      body: form([{ name: 'file', filename: 'gone.txt', content: 'soon gone' }]),
    });
    const { secret, id } = (await json(up)) as { secret: string; id: number };
    const row = await server.app.uploads.repo.findFile(id);
    await server.app.uploads.provider.delete({ key: row!.object_key });
    const broken = await fetch(`${server.url}/api/files/${secret}`, { headers: { authorization: `Bearer ${READ}` } });
    expect(broken.status).toBe(404);
    const { text } = await metrics(READ);
    expect(
      sample(text, 'upload_server_provider_call_duration_seconds_count', { method: 'read', result: 'NOT_FOUND' }),
    ).toBe(1);
  });
});

describe('GET /metrics without tokens', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server?.close());

  test('answers on a loopback server with no token configured, as every route does', async () => {
    const res = await fetch(`${server.url}/metrics`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('upload_server_uploads_in_flight 0');
  });
});
