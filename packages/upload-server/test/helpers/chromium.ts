import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from '@jest/globals';
import { type BrowserContext, chromium } from 'playwright-core';

/** Debian's Chromium, or the one `CHROMIUM_PATH` names. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** The flags that let Chromium run headless as root on a machine without a GPU or network. */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/**
 * True when Chromium is there. Otherwise registers one test saying so: skipped on a developer's machine, failed in
 * CI (a missing browser must never pass as green).
 */
export function chromiumAvailable(what: string): boolean {
  if (existsSync(CHROMIUM)) return true;
  console.warn(
    `Chromium not found at ${CHROMIUM} (set CHROMIUM_PATH): SKIPPING ${what}. ` +
      'Install it with: apt-get install -y --no-install-recommends chromium',
  );
  const register = process.env.CI ? test : test.skip;
  register(`${what} need Chromium at ${CHROMIUM} (set CHROMIUM_PATH)`, () => {
    throw new Error(`Chromium is missing at ${CHROMIUM}, and CI must not skip the browser tests`);
  });
  return false;
}

/**
 * A fresh Chromium with a profile of its own. Close it before the servers: its pooled and preconnected sockets go
 * with it, so closing the servers never waits on them.
 */
export async function launchChromium(): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), 'upload-server-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_FLAGS,
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
