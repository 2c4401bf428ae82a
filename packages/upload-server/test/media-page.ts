import type { BrowserContext, CDPSession, Page } from 'playwright-core';
import type { TestServer } from './helpers/server.js';

/** The upload row of one file in the page's upload list. */
export const uploadRow = (tab: Page, name: string) => tab.locator(`li.upload[data-upload-name="${name}"]`);

const devtools = new WeakMap<Page, CDPSession>();

/** Limits the page's upload speed (bytes per second; -1 lifts the limit), so progress can be seen between 0 and 100. */
export async function throttleUploads(context: BrowserContext, tab: Page, bytesPerSecond: number): Promise<void> {
  // One DevTools session per page: a second one's setting would not replace the first's.
  let cdp = devtools.get(tab);
  if (!cdp) {
    cdp = await context.newCDPSession(tab);
    await cdp.send('Network.enable');
    devtools.set(tab, cdp);
  }
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false,
    latency: 0,
    downloadThroughput: -1,
    uploadThroughput: bytesPerSecond,
  });
}

export async function signIn(tab: Page, server: TestServer, token: string): Promise<void> {
  await tab.goto(`${server.url}/`);
  await tab.getByLabel('API token').fill(token);
  await tab.getByRole('button', { name: 'Sign in' }).click();
  await tab.locator('.toolbar').waitFor();
}
