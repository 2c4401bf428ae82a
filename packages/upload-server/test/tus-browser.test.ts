// Uppy (@uppy/core + @uppy/tus, bundled for the page with esbuild) in real Chromium uploads a file from a page on
// another origin through the server's tus endpoint, with a token (so CORS preflights carry Authorization), in 1 MiB
// chunks; the final response carries the file entity, and the stored bytes are the page's.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { build } from 'esbuild';
import { chromiumAvailable, launchChromium } from './helpers/chromium.js';
import { startPageServer } from './helpers/page.js';
import { startServer } from './helpers/server.js';

const TOKEN = 'browser-tus-token-0123456789';

async function startPage() {
  const bundle = await build({
    entryPoints: [join(__dirname, 'browser', 'tus', 'uppy-page.js')],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: 'chrome120',
  });
  return startPageServer({
    '/': {
      type: 'text/html; charset=utf-8',
      body: '<!doctype html><meta charset="utf-8"><title>tus</title><script src="/uppy.js"></script>',
    },
    '/uppy.js': { type: 'text/javascript; charset=utf-8', body: bundle.outputFiles[0]!.text },
  });
}

interface PageResult {
  failed: string[];
  uploadURL: string | null;
  status: number | null;
  body: string | null;
  sent: string;
}

if (chromiumAvailable('the Uppy tus test')) {
  describe('Uppy in Chromium', () => {
    test('uploads a 3 MiB file through /api/upload/tus in 1 MiB chunks from another origin', async () => {
      const page = await startPage();
      const api = await startServer({
        config: { corsOrigins: [page.url], tokens: [{ name: 'browser', token: TOKEN }] },
      });
      const browser = await launchChromium();
      const { context } = browser;
      try {
        const tab = await context.newPage();
        const logs: string[] = [];
        tab.on('console', (m) => logs.push(m.text()));
        tab.on('requestfailed', (r) => logs.push(`failed ${r.method()} ${r.url()} ${r.failure()?.errorText}`));
        await tab.goto(page.url);
        const size = 3 * 1024 * 1024 + 17;
        const result = (await tab.evaluate(
          ([endpoint, token, n]) =>
            (globalThis as unknown as { runUpload(e: string, t: string, s: number): Promise<unknown> }).runUpload(
              endpoint as string,
              token as string,
              n as number,
            ),
          [`${api.url}/api/upload/tus`, TOKEN, size] as const,
        )) as PageResult;
        expect({ failed: result.failed, logs: logs.filter((l) => l.startsWith('failed')) }).toEqual({
          failed: [],
          logs: [],
        });
        expect(result.uploadURL).toMatch(new RegExp(`^${api.url}/api/upload/tus/[0-9a-f]+$`));
        expect(result.status).toBe(200);
        const [entity] = JSON.parse(result.body!) as [{ id: number; name: string; url: string; mime: string }];
        expect(entity).toMatchObject({ name: 'from-uppy.bin', mime: 'application/octet-stream' });
        const auth = { authorization: `Bearer ${TOKEN}` };
        const listed = (await (await fetch(`${api.url}/api/upload/files`, { headers: auth })).json()) as Array<{
          id: number;
        }>;
        expect(listed.map((f) => f.id)).toContain(entity.id);
        const stored = Buffer.from(await (await fetch(`${api.url}${entity.url}`, { headers: auth })).arrayBuffer());
        expect(stored.length).toBe(size);
        expect(createHash('sha256').update(stored).digest('hex')).toBe(result.sent);
      } finally {
        await browser.close();
        page.close();
        await api.close();
      }
    });
  });
}
