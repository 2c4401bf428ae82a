import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import sharp from 'sharp';
import { CHROMIUM, CHROMIUM_FLAGS, chromiumAvailable } from './helpers/chromium.js';
import { form } from './helpers/http.js';
import { startServer, type TestServer } from './helpers/server.js';
import { signIn, throttleUploads, uploadRow } from './media-page.js';

const FULL = 'full-access-token-for-the-media-page';
const READ = 'read-only-token-for-the-media-page';
const SIZE_LIMIT = 150_000;
const ALLOWED = ['image/*', 'application/pdf', 'text/plain'];
const AXE = require.resolve('axe-core/axe.min.js');
const DOCS = join(__dirname, '..', 'docs');

/**
 * What the functions passed to `evaluate` use of the page (they run in Chromium; the tests are type-checked without
 * the DOM library, whose globals would clash with Node's). Each function says `const w = globalThis as unknown as
 * PageGlobals` in its own body, since only the function's source travels to the page.
 */
interface PageNode {
  textContent: string | null;
  dataset: Record<string, string | undefined>;
  value: number;
  complete: boolean;
  naturalWidth: number;
  querySelector(selector: string): PageNode | null;
  closest(selector: string): PageNode | null;
}
interface PageGlobals {
  document: {
    querySelectorAll(selector: string): Iterable<PageNode> & { length: number };
    querySelector(selector: string): PageNode | null;
    activeElement: PageNode | null;
    documentElement: { scrollWidth: number };
  };
  navigator: { clipboard: { readText(): Promise<string> } };
  setInterval(run: () => void, ms: number): unknown;
  DataTransfer: new () => { items: { add(file: unknown): void } };
  File: new (parts: string[], name: string, options: { type: string }) => unknown;
  progressSeen: Record<string, number[]>;
  sessionStorage: Record<string, string>;
  localStorage: Record<string, string>;
  axe: { run(): Promise<{ violations: Array<{ id: string; impact: string; nodes: Array<{ target: string[] }> }> }> };
}

interface Entity {
  id: number;
  name: string;
  mime: string;
  caption: string | null;
  alternativeText: string | null;
  url: string;
  isUrlSigned: boolean;
  formats: Record<string, { url: string }> | null;
}

/** A one-page PDF with a line of text, its cross-reference table computed from the real offsets. */
function pdf(text: string): Buffer {
  const content = `BT /F1 24 Tf 24 60 Td (${text}) Tj ET`;
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 320 140] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${content.length} >>\nstream\n${content}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let body = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((object, i) => {
    offsets.push(body.length);
    body += `${i + 1} 0 obj\n${object}\nendobj\n`;
  });
  const xref = body.length;
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) body += `${String(offset).padStart(10, '0')} 00000 n \n`;
  body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(body, 'latin1');
}

/** A picture with some shape to it, so the grid's screenshot looks like a media library. */
function picture(from: string, to: string, format: 'png' | 'jpeg', width = 480, height = 320): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
    <defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="${from}"/>
    <stop offset="1" stop-color="${to}"/></linearGradient></defs>
    <rect width="100%" height="100%" fill="url(#g)"/>
    <circle cx="${width * 0.72}" cy="${height * 0.32}" r="${height * 0.16}" fill="#fff" fill-opacity="0.75"/>
    <path d="M0 ${height} L${width * 0.35} ${height * 0.55} L${width * 0.6} ${height * 0.8} L${width * 0.8} ${height * 0.6}
      L${width} ${height} Z" fill="#000" fill-opacity="0.25"/></svg>`;
  const image = sharp(Buffer.from(svg));
  return (format === 'png' ? image.png() : image.jpeg({ quality: 80 })).toBuffer();
}

const text = (lines: number, word: string) =>
  Buffer.from(Array.from({ length: lines }, (_, i) => `${i + 1}: ${word} ${'lorem ipsum '.repeat(4)}`).join('\n'));

async function api<T>(server: TestServer, path: string, init: RequestInit = {}, token = FULL): Promise<T> {
  const response = await fetch(`${server.url}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${token}`, ...(init.headers as Record<string, string>) },
    signal: AbortSignal.timeout(10_000),
  });
  return (await response.json()) as T;
}

async function names(server: TestServer): Promise<string[]> {
  const files = await api<Entity[]>(server, '/api/upload/files?sort=name:asc');
  return files.map((f) => f.name);
}

/** Serious and critical axe-core violations on the page as it is now. */
async function axeViolations(tab: Page): Promise<Array<{ id: string; impact: string; nodes: string[] }>> {
  await tab.addScriptTag({ path: AXE });
  return tab.evaluate(async () => {
    const { violations } = await (globalThis as unknown as PageGlobals).axe.run();
    return violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(' ')) }));
  });
}

/**
 * Screenshots are written for every run under the system's temp folder (the test's own output, never the source
 * tree); with UPDATE_SCREENSHOTS=1 they replace the ones the README shows in docs/. Quantised to a palette so they stay
 * small in git.
 */
async function screenshot(tab: Page, file: string): Promise<void> {
  const dir = process.env.UPDATE_SCREENSHOTS ? DOCS : join(tmpdir(), 'upload-server-media-screenshots');
  mkdirSync(dir, { recursive: true });
  const raw = await tab.screenshot();
  await sharp(raw).png({ palette: true, quality: 90, compressionLevel: 9 }).toFile(join(dir, file));
}

const card = (tab: Page, name: string) =>
  tab.locator('.grid li').filter({ has: tab.locator('.name').getByText(name, { exact: true }) });
const upload = uploadRow;

async function shownNames(tab: Page): Promise<string[]> {
  return (await tab.locator('.grid .card .name').allTextContents()).sort();
}

/** Waits until the grid shows exactly these names (the page's requests are asynchronous). */
async function gridShows(tab: Page, expected: string[]): Promise<void> {
  const sorted = [...expected].sort();
  await tab
    .waitForFunction(
      (want) => {
        const w = globalThis as unknown as PageGlobals;
        const shown = [...w.document.querySelectorAll('.grid .card .name')].map((n) => n.textContent).sort();
        return JSON.stringify(shown) === JSON.stringify(want);
      },
      sorted,
      { timeout: 10_000 },
    )
    .catch(async () => {
      throw new Error(`the grid shows ${JSON.stringify(await shownNames(tab))}, expected ${JSON.stringify(sorted)}`);
    });
}

if (chromiumAvailable('the media library browser tests')) {
  describe('the media library page, in Chromium, against a real server', () => {
    let browser: Browser;
    let server: TestServer;
    let context: BrowserContext;
    let tab: Page;
    const seeded = ['dunes.jpg', 'forest.jpg', 'lagoon.jpg', 'sunset.jpg'];

    beforeAll(async () => {
      browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
      server = await startServer({
        config: {
          sizeLimit: SIZE_LIMIT,
          allowedTypes: ALLOWED,
          tokens: [
            { name: 'editor', token: FULL, access: 'full-access' },
            { name: 'viewer', token: READ, access: 'read-only' },
          ],
        },
      });
      const colours: Array<[string, string]> = [
        ['#e9a23b', '#8c2f39'],
        ['#2d6a4f', '#95d5b2'],
        ['#0b4f6c', '#7fd1d6'],
        ['#ff7b54', '#3d2c8d'],
      ];
      for (const [i, name] of seeded.entries()) {
        const [from, to] = colours[i]!;
        const body = form([{ filename: name, type: 'image/jpeg', content: await picture(from, to, 'jpeg') }]);
        await api(server, '/api/upload', { method: 'POST', body });
      }
      // Axe's script is injected into the page, which the page's own policy (script-src 'self') would refuse.
      context = await browser.newContext({
        viewport: { width: 1100, height: 760 },
        bypassCSP: true,
        permissions: ['clipboard-read', 'clipboard-write'],
      });
      tab = await context.newPage();
    }, 60_000);

    afterAll(async () => {
      await context?.close();
      await browser?.close();
      await server?.close();
    });

    test('/ leads to /media, which asks for a token and keeps it for the tab only', async () => {
      await tab.goto(`${server.url}/`);
      expect(new URL(tab.url()).pathname).toBe('/media/');
      await tab.getByLabel('API token').fill('not-a-token-of-this-server');
      await tab.getByRole('button', { name: 'Sign in' }).click();
      await tab.getByText('The server did not accept this token').waitFor();

      await signIn(tab, server, FULL);
      const stored = () => {
        const w = globalThis as unknown as PageGlobals;
        return { session: Object.values(w.sessionStorage), local: Object.values(w.localStorage) };
      };
      expect(await tab.evaluate(stored)).toEqual({ session: [FULL], local: [] });
      expect((await context.cookies()).length).toBe(0);
      await tab.reload();
      await gridShows(tab, seeded);
      await tab.getByText('Full access').waitFor();
    });

    test('the picker uploads a PNG and a PDF with progress, while a 413 and a 415 are shown next to their files', async () => {
      const png = await picture('#1f5fbf', '#a8dadc', 'png', 640, 400);
      const big = text(3000, 'big'); // over SIZE_LIMIT
      const binary = Buffer.from(Array.from({ length: 4096 }, (_, i) => i % 256)); // no allowed type
      expect(big.length).toBeGreaterThan(SIZE_LIMIT);
      await throttleUploads(context, tab, 256 * 1024);
      await tab.evaluate(() => {
        const seen: Record<string, number[]> = {};
        const w = globalThis as unknown as PageGlobals;
        w.progressSeen = seen;
        w.setInterval(() => {
          for (const item of w.document.querySelectorAll('li.upload')) {
            const name = item.dataset.uploadName!;
            const value = item.querySelector('progress')!.value;
            const list = seen[name] ?? [];
            seen[name] = list;
            if (list[list.length - 1] !== value) list.push(value);
          }
        }, 5);
      });

      await tab.setInputFiles('#file-picker', [
        { name: 'photo.png', mimeType: 'image/png', buffer: png },
        { name: 'big.txt', mimeType: 'text/plain', buffer: big },
        { name: 'data.bin', mimeType: 'application/octet-stream', buffer: binary },
        { name: 'doc.pdf', mimeType: 'application/pdf', buffer: pdf('Hello from the media page') },
      ]);
      for (const name of ['photo.png', 'doc.pdf']) {
        await upload(tab, name).and(tab.locator('.upload-done')).waitFor({ timeout: 30_000 });
      }
      for (const name of ['big.txt', 'data.bin']) {
        await upload(tab, name).and(tab.locator('.upload-failed')).waitFor({ timeout: 30_000 });
      }
      await throttleUploads(context, tab, -1);

      // The server's own messages, next to the file they are about.
      expect(await upload(tab, 'big.txt').locator('.upload-error').textContent()).toBe(
        `The file is larger than the size limit of ${SIZE_LIMIT} bytes`,
      );
      const refused = await fetch(`${server.url}/api/upload`, {
        method: 'POST',
        headers: { authorization: `Bearer ${FULL}` },
        body: form([{ filename: 'data.bin', content: binary }]),
      });
      expect(refused.status).toBe(415);
      const { error } = (await refused.json()) as { error: { message: string } };
      expect(await upload(tab, 'data.bin').locator('.upload-error').textContent()).toBe(error.message);
      expect(await upload(tab, 'photo.png').locator('.upload-error').count()).toBe(0);

      const seen = await tab.evaluate(() => (globalThis as unknown as PageGlobals).progressSeen);
      expect(seen['photo.png']![0]).toBe(0);
      expect(seen['photo.png']!.at(-1)).toBe(100);
      expect(seen['photo.png']!.some((v) => v > 0 && v < 100)).toBe(true);
      expect(seen['doc.pdf']!.at(-1)).toBe(100);

      await gridShows(tab, [...seeded, 'photo.png', 'doc.pdf']);
      expect(await names(server)).toEqual([...seeded, 'doc.pdf', 'photo.png'].sort());
    });

    test('an upload can be cancelled, and leaves no file behind', async () => {
      await throttleUploads(context, tab, 16 * 1024);
      await tab.setInputFiles('#file-picker', [
        { name: 'slow.txt', mimeType: 'text/plain', buffer: text(1200, 'slow') },
      ]);
      await tab.waitForFunction(
        () =>
          ((globalThis as unknown as PageGlobals).document.querySelector(
            'li.upload[data-upload-name="slow.txt"] progress',
          )?.value ?? 0) > 0,
      );
      await tab.getByRole('button', { name: 'Cancel upload of slow.txt' }).click();
      await upload(tab, 'slow.txt').and(tab.locator('.upload-cancelled')).waitFor();
      await throttleUploads(context, tab, -1);
      expect(await names(server)).not.toContain('slow.txt');
    });

    test('a file dropped on the page is uploaded', async () => {
      const notes = text(20, 'notes').toString();
      const dataTransfer = await tab.evaluateHandle((content) => {
        const w = globalThis as unknown as PageGlobals;
        const transfer = new w.DataTransfer();
        transfer.items.add(new w.File([content], 'notes.txt', { type: 'text/plain' }));
        return transfer;
      }, notes);
      const zone = tab.getByTestId('dropzone');
      await zone.dispatchEvent('dragenter', { dataTransfer });
      expect(await zone.getAttribute('class')).toContain('over');
      await zone.dispatchEvent('drop', { dataTransfer });
      await upload(tab, 'notes.txt').and(tab.locator('.upload-done')).waitFor();
      await gridShows(tab, [...seeded, 'photo.png', 'doc.pdf', 'notes.txt']);
      expect(await names(server)).toContain('notes.txt');
    });

    test('the PNG shows its thumbnail in the grid', async () => {
      const [photo] = (await api<Entity[]>(server, '/api/upload/files?filters[name][$eq]=photo.png')) as [Entity];
      expect(photo.formats?.thumbnail).toBeDefined();
      const img = card(tab, 'photo.png').locator('img');
      expect(await img.getAttribute('src')).toBe(photo.formats!.thumbnail!.url);
      await tab.waitForFunction(() =>
        [...(globalThis as unknown as PageGlobals).document.querySelectorAll('.grid img')].every((i) => i.complete),
      );
      expect(await img.evaluate((i: PageNode) => i.naturalWidth)).toBeGreaterThan(0);
      // The PDF has no picture: a tile names its type.
      expect(await card(tab, 'doc.pdf').locator('.tile').textContent()).toBe('PDF');
    });

    test('search and the type filter narrow the list', async () => {
      await tab.getByLabel('Search by name').fill('note');
      await gridShows(tab, ['notes.txt']);
      await tab.getByLabel('Search by name').fill('');
      await gridShows(tab, [...seeded, 'photo.png', 'doc.pdf', 'notes.txt']);

      await tab.getByLabel('Type').selectOption('document');
      await gridShows(tab, ['doc.pdf', 'notes.txt']);
      await tab.getByLabel('Type').selectOption('image');
      await gridShows(tab, [...seeded, 'photo.png']);
      await tab.getByLabel('Search by name').fill('SUN');
      await gridShows(tab, ['sunset.jpg']);
      await tab.getByLabel('Search by name').fill('');
      await tab.getByLabel('Type').selectOption('all');
      await gridShows(tab, [...seeded, 'photo.png', 'doc.pdf', 'notes.txt']);

      // Sorting by name, in the list view: its rows come in the server's order.
      await tab.getByLabel('Sort').selectOption('name:asc');
      await tab.getByLabel('List').check();
      await tab.waitForFunction(
        () => (globalThis as unknown as PageGlobals).document.querySelectorAll('.files-table tbody tr').length === 7,
      );
      const rows = await tab.locator('.files-table tbody th .name').allTextContents();
      expect(rows).toEqual([...seeded, 'photo.png', 'doc.pdf', 'notes.txt'].sort());
      expect(await tab.locator('.files-table tbody tr:has-text("photo.png") td').allTextContents()).toEqual(
        expect.arrayContaining(['image/png', '640 × 400']),
      );
      await tab.getByLabel('Grid').check();
      await tab.getByLabel('Sort').selectOption('createdAt:desc');
      await tab.locator('.grid').waitFor();
    });

    test('the grid has no serious accessibility problems, and its screenshot is written', async () => {
      await tab.getByRole('button', { name: 'Clear finished' }).click();
      await gridShows(tab, [...seeded, 'photo.png', 'doc.pdf', 'notes.txt']);
      await tab.waitForFunction(() =>
        [...(globalThis as unknown as PageGlobals).document.querySelectorAll('.grid img')].every((i) => i.complete),
      );
      expect(await axeViolations(tab)).toEqual([]);
      await screenshot(tab, 'media-grid.png');
    });

    test('the panel edits the caption, seen through the API, and passes the accessibility check', async () => {
      await card(tab, 'photo.png').getByRole('button').click();
      const panel = tab.getByRole('dialog', { name: 'photo.png' });
      await panel.waitFor();
      await panel.locator('.preview img').waitFor();
      await panel.getByLabel('Alternative text').fill('A blue gradient with a white sun');
      await panel.getByLabel('Caption').fill('Made by the media page test');
      await panel.getByRole('button', { name: 'Save details' }).click();
      await panel.getByText('Saved', { exact: true }).waitFor();

      const [photo] = (await api<Entity[]>(server, '/api/upload/files?filters[name][$eq]=photo.png')) as [Entity];
      expect(photo.caption).toBe('Made by the media page test');
      expect(photo.alternativeText).toBe('A blue gradient with a white sun');
      expect(await panel.locator('.preview img').getAttribute('alt')).toBe('A blue gradient with a white sun');

      expect(await axeViolations(tab)).toEqual([]);
      await screenshot(tab, 'media-panel.png');
      await tab.keyboard.press('Escape');
      await panel.waitFor({ state: 'hidden' });
    });

    test('the keyboard opens a file and closes it again', async () => {
      await card(tab, 'notes.txt').getByRole('button').focus();
      await tab.keyboard.press('Enter');
      const panel = tab.getByRole('dialog', { name: 'notes.txt' });
      await panel.waitFor();
      // The text preview shows the start of the file.
      await panel.getByText('1: notes lorem ipsum').waitFor();
      const focusInDialog = () =>
        (globalThis as unknown as PageGlobals).document.activeElement?.closest('dialog') !== null;
      expect(await tab.evaluate(focusInDialog)).toBe(true);
      await tab.keyboard.press('Escape');
      await panel.waitFor({ state: 'hidden' });
    });

    test('delete asks first, then removes the file from the page and the API', async () => {
      const [doc] = (await api<Entity[]>(server, '/api/upload/files?filters[name][$eq]=doc.pdf')) as [Entity];
      await card(tab, 'doc.pdf').getByRole('button').click();
      const panel = tab.getByRole('dialog', { name: 'doc.pdf' });
      await panel.getByRole('button', { name: 'Delete file' }).click();
      const confirm = tab.getByRole('alertdialog', { name: 'Delete doc.pdf?' });
      await confirm.waitFor();
      await confirm.getByRole('button', { name: 'Keep it' }).click();
      await confirm.waitFor({ state: 'hidden' });
      expect(await names(server)).toContain('doc.pdf');

      await panel.getByRole('button', { name: 'Delete file' }).click();
      await confirm.getByRole('button', { name: 'Delete', exact: true }).click();
      await panel.waitFor({ state: 'hidden' });
      await gridShows(tab, [...seeded, 'photo.png', 'notes.txt']);
      const gone = await fetch(`${server.url}/api/upload/files/${doc.id}`, {
        headers: { authorization: `Bearer ${FULL}` },
      });
      expect(gone.status).toBe(404);
    });

    test('a narrow window keeps everything on screen', async () => {
      await tab.setViewportSize({ width: 380, height: 760 });
      const pageWidth = () => (globalThis as unknown as PageGlobals).document.documentElement.scrollWidth;
      expect(await tab.evaluate(pageWidth)).toBeLessThanOrEqual(380);
      await card(tab, 'photo.png').getByRole('button').click();
      const panel = tab.getByRole('dialog', { name: 'photo.png' });
      const box = (await panel.boundingBox())!;
      expect(box.x).toBeGreaterThanOrEqual(0);
      expect(box.x + box.width).toBeLessThanOrEqual(380);
      await panel.getByRole('button', { name: 'Close the file panel' }).click();
      await panel.waitFor({ state: 'hidden' });
      await tab.setViewportSize({ width: 1100, height: 760 });
    });

    test('a read-only token sees no upload, edit or delete controls, under the page’s own CSP', async () => {
      // A fresh context: its own sessionStorage, and the page's Content-Security-Policy in force.
      const viewer = await browser.newContext();
      try {
        const page = await viewer.newPage();
        const failures: string[] = [];
        // The page's own script runs under its policy: no refusal is logged (the 401 and 403 of its access check are).
        page.on('console', (m) => {
          if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) failures.push(m.text());
        });
        await signIn(page, server, READ);
        await page.getByText('Read-only').waitFor();
        await gridShows(page, [...seeded, 'photo.png', 'notes.txt']);
        expect(await page.locator('#file-picker').count()).toBe(0);
        expect(await page.getByTestId('dropzone').count()).toBe(0);
        await card(page, 'photo.png').getByRole('button').click();
        const panel = page.getByRole('dialog', { name: 'photo.png' });
        await panel.getByText('Made by the media page test').waitFor();
        for (const control of ['Save details', 'Delete file', 'Choose a new file']) {
          expect(await panel.getByText(control).count()).toBe(0);
        }
        expect(await panel.getByRole('textbox', { name: 'Caption' }).count()).toBe(0);
        expect(await panel.getByRole('button', { name: 'Copy link' }).count()).toBe(1);
        expect(failures).toEqual([]);
      } finally {
        await viewer.close();
      }
      // And the server refuses the write anyway.
      const refused = await fetch(`${server.url}/api/upload/files/1`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${READ}` },
      });
      expect(refused.status).toBe(403);
    });

    test('replace gives a file new content under the same id, and the grid shows it', async () => {
      const [before] = (await api<Entity[]>(server, '/api/upload/files?filters[name][$eq]=lagoon.jpg')) as [Entity];
      const replacement = await picture('#111111', '#eeeeee', 'png', 300, 300);
      await card(tab, 'lagoon.jpg').getByRole('button').click();
      const panel = tab.getByRole('dialog', { name: 'lagoon.jpg' });
      await panel.waitFor();
      await panel.locator('#replace-picker').setInputFiles({
        name: 'lagoon-v2.png',
        mimeType: 'image/png',
        buffer: replacement,
      });
      // The server names the file after its new content, as Strapi does; the id stays.
      const renamed = tab.getByRole('dialog', { name: 'lagoon-v2.png' });
      await renamed.getByText('Replaced', { exact: true }).waitFor();
      const after = await api<Entity>(server, `/api/upload/files/${before.id}`);
      expect(after.mime).toBe('image/png');
      expect(after.name).toBe('lagoon-v2.png');
      expect(after.url).not.toBe(before.url);
      const served = await fetch(new URL(after.url, server.url));
      expect(Buffer.from(await served.arrayBuffer()).equals(replacement)).toBe(true);
      // The panel and the grid show the new content.
      expect(await renamed.locator('dd').first().textContent()).toBe('image/png');
      await tab.keyboard.press('Escape');
      await renamed.waitFor({ state: 'hidden' });
      await tab.waitForFunction(
        (url) =>
          [...(globalThis as unknown as PageGlobals).document.querySelectorAll('.grid img')].some((i) =>
            (i as unknown as { src: string }).src.endsWith(url),
          ),
        after.formats!.thumbnail!.url,
      );
    });
  });

  describe('the media library page over private storage', () => {
    test('the panel gives a signed URL with its expiry, the URL serves the file, and a PDF shows', async () => {
      const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
      const server = await startServer({ config: { provider: { name: 'local', options: { private: true } } } });
      try {
        const png = await picture('#6b3fa0', '#f4a261', 'png');
        const [stored] = (await (
          await fetch(`${server.url}/api/upload`, {
            method: 'POST',
            body: form([{ filename: 'private.png', type: 'image/png', content: png }]),
          })
        ).json()) as [Entity];
        expect(stored.isUrlSigned).toBe(true);
        const unsigned = new URL(stored.url, server.url);
        unsigned.search = '';
        expect((await fetch(unsigned)).status).toBeGreaterThanOrEqual(400);

        const context = await browser.newContext({ permissions: ['clipboard-read', 'clipboard-write'] });
        const tab = await context.newPage();
        // No token on this server (loopback only): the page opens straight onto the files.
        await tab.goto(`${server.url}/media`);
        await gridShows(tab, ['private.png']);
        await card(tab, 'private.png').getByRole('button').click();
        const panel = tab.getByRole('dialog', { name: 'private.png' });
        const expiry = panel.getByTestId('signed-expiry');
        await expiry.waitFor();
        const shownUntil = Date.parse((await expiry.locator('time').getAttribute('datetime'))!);
        const shown = await panel.getByLabel('File URL').inputValue();
        expect(new URL(shown).searchParams.get('expires')).toBe(String(shownUntil));
        expect(shownUntil).toBeGreaterThan(Date.now());

        await panel.getByRole('button', { name: 'Copy link' }).click();
        await panel.getByText('Link copied').waitFor();
        const copied = await tab.evaluate(() => (globalThis as unknown as PageGlobals).navigator.clipboard.readText());
        expect(copied).toMatch(/[?&]signature=/);
        const served = await fetch(copied);
        expect(served.status).toBe(200);
        expect(Buffer.from(await served.arrayBuffer()).equals(png)).toBe(true);
        await tab.keyboard.press('Escape');
        await panel.waitFor({ state: 'hidden' });

        // A PDF is served as an attachment, so the panel shows it from a blob: URL, which the page's policy allows.
        const refusals: string[] = [];
        tab.on('console', (m) => m.text().includes('Content Security Policy') && refusals.push(m.text()));
        await fetch(`${server.url}/api/upload`, {
          method: 'POST',
          body: form([{ filename: 'private.pdf', type: 'application/pdf', content: pdf('Private') }]),
        });
        await tab.reload();
        await gridShows(tab, ['private.png', 'private.pdf']);
        await card(tab, 'private.pdf').getByRole('button').click();
        const pdfPanel = tab.getByRole('dialog', { name: 'private.pdf' });
        await pdfPanel.locator('object[type="application/pdf"][data^="blob:"]').waitFor();
        expect(refusals).toEqual([]);
        await context.close();
      } finally {
        await browser.close();
        await server.close();
      }
    });
  });
}
