import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { CHROMIUM, CHROMIUM_FLAGS, chromiumAvailable } from './helpers/chromium.js';
import { startServer, type TestServer } from './helpers/server.js';
import { signIn, throttleUploads, uploadRow } from './media-page.js';

const TOKEN = 'full-access-token-for-the-media-page-tus';
const SIZE_LIMIT = 16 * 1024 * 1024;
/** Above the page's 8 MiB threshold, under the server's limit. */
const LARGE = 10 * 1024 * 1024;

interface PageGlobals {
  document: { querySelector(selector: string): { value: number } | null };
  setInterval(run: () => void, ms: number): unknown;
  progressSeen: number[];
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const auth = { authorization: `Bearer ${TOKEN}` };

if (chromiumAvailable('the media library tus tests')) {
  describe('the media library page sends large files through tus, in Chromium', () => {
    let browser: Browser;
    let server: TestServer;
    let context: BrowserContext;
    let tab: Page;
    let requests: string[] = [];

    const files = async () =>
      (await (await fetch(`${server.url}/api/upload/files`, { headers: auth })).json()) as Array<{
        name: string;
        url: string;
      }>;

    beforeAll(async () => {
      browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
      server = await startServer({
        config: { sizeLimit: SIZE_LIMIT, tokens: [{ name: 'editor', token: TOKEN, access: 'full-access' }] },
      });
      context = await browser.newContext();
      tab = await context.newPage();
      tab.on('request', (request) => {
        const { pathname } = new URL(request.url());
        if (pathname.startsWith('/api/upload')) requests.push(`${request.method()} ${pathname}`);
      });
      await signIn(tab, server, TOKEN);
    }, 60_000);

    afterAll(async () => {
      await context?.close();
      await browser?.close();
      await server?.close();
    });

    test('a large file goes through /api/upload/tus with progress, shows in the grid and comes back identical', async () => {
      const bytes = randomBytes(LARGE + 12345);
      requests = [];
      await throttleUploads(context, tab, 4 * 1024 * 1024);
      await tab.evaluate(() => {
        const w = globalThis as unknown as PageGlobals;
        w.progressSeen = [];
        w.setInterval(() => {
          const value = w.document.querySelector('li.upload[data-upload-name="large.bin"] progress')?.value;
          if (value !== undefined && w.progressSeen.at(-1) !== value) w.progressSeen.push(value);
        }, 5);
      });
      await tab.setInputFiles('#file-picker', [
        { name: 'large.bin', mimeType: 'application/octet-stream', buffer: bytes },
      ]);
      await uploadRow(tab, 'large.bin').and(tab.locator('.upload-done')).waitFor({ timeout: 60_000 });
      await throttleUploads(context, tab, -1);

      expect(requests).toContain('POST /api/upload/tus');
      expect(requests.some((r) => /^PATCH \/api\/upload\/tus\/[^/]+$/.test(r))).toBe(true);
      expect(requests).not.toContain('POST /api/upload');
      const seen = await tab.evaluate(() => (globalThis as unknown as PageGlobals).progressSeen);
      expect(seen.some((v) => v > 0 && v < 100)).toBe(true);
      expect(seen.at(-1)).toBe(100);

      await tab.locator('.grid .card .name').getByText('large.bin', { exact: true }).waitFor();
      const entity = (await files()).find((f) => f.name === 'large.bin');
      expect(entity).toBeDefined();
      const back = await fetch(new URL(entity!.url, server.url), { headers: auth });
      expect(sha256(new Uint8Array(await back.arrayBuffer()))).toBe(sha256(bytes));
    });

    test('cancelling a large upload terminates it: no file and no tus upload are left', async () => {
      requests = [];
      await throttleUploads(context, tab, 1024 * 1024);
      await tab.setInputFiles('#file-picker', [
        { name: 'cancelled.bin', mimeType: 'application/octet-stream', buffer: randomBytes(LARGE) },
      ]);
      await tab.waitForFunction(
        () =>
          ((globalThis as unknown as PageGlobals).document.querySelector(
            'li.upload[data-upload-name="cancelled.bin"] progress',
          )?.value ?? 0) > 0,
      );
      await tab.getByRole('button', { name: 'Cancel upload of cancelled.bin' }).click();
      await uploadRow(tab, 'cancelled.bin').and(tab.locator('.upload-cancelled')).waitFor();
      await throttleUploads(context, tab, -1);

      const patch = requests.find((r) => r.startsWith('PATCH /api/upload/tus/'));
      expect(patch).toBeDefined();
      const path = patch!.slice('PATCH '.length);
      expect(requests).toContain(`DELETE ${path}`);
      const head = await fetch(`${server.url}${path}`, {
        method: 'HEAD',
        headers: { ...auth, 'tus-resumable': '1.0.0' },
      });
      expect(head.status).toBe(404);
      expect((await files()).map((f) => f.name)).not.toContain('cancelled.bin');
    });

    test('a large file over the size limit shows the server’s 413 message next to it', async () => {
      const creation = await fetch(`${server.url}/api/upload/tus`, {
        method: 'POST',
        headers: { ...auth, 'tus-resumable': '1.0.0', 'upload-length': String(SIZE_LIMIT + 1) },
      });
      expect(creation.status).toBe(413);
      // tus answers its own refusals in plain text, the server's in its JSON envelope: the page shows either's message.
      const body = (await creation.text()).trim();
      const message = body.startsWith('{') ? (JSON.parse(body) as { error: { message: string } }).error.message : body;
      expect(message).toMatch(/\w/);

      await tab.setInputFiles('#file-picker', [
        { name: 'huge.bin', mimeType: 'application/octet-stream', buffer: Buffer.alloc(SIZE_LIMIT + 1) },
      ]);
      await uploadRow(tab, 'huge.bin').and(tab.locator('.upload-failed')).waitFor();
      const shown = await uploadRow(tab, 'huge.bin').locator('.upload-error').textContent();
      expect(shown).toBe(message);
      expect((await files()).map((f) => f.name)).not.toContain('huge.bin');
    });
  });
}
