import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { isProviderError } from 'upload-provider';
import { type LocalProvider, localProvider } from '../src/index.js';
import { filesUnder, sleep } from './helpers.js';

const TMP = join('.upload-provider-local', 'tmp');
const LONG_AGO = new Date('2001-01-01T00:00:00Z');
const BUILT = resolve(__dirname, '../dist/index.js');

let root: string;
let provider: LocalProvider;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'upl-local-cleanup-'));
  provider = localProvider({ root });
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** The provider's temporary files: what a dead process would leave behind. */
const temporaries = () => filesUnder(root).filter((f) => f.startsWith(`${TMP}/`));

/**
 * A real second process (the built package, as a user runs it) that starts storing a file it never finishes, then is
 * killed with SIGKILL once its partial file holds the first MiB: nothing in it gets a chance to clean up.
 */
async function killMidUpload(): Promise<void> {
  expect(existsSync(BUILT)).toBe(true); // the child runs dist/: `pnpm build` first
  const script = `
    import { PassThrough } from 'node:stream';
    const { localProvider } = await import(${JSON.stringify(pathToFileURL(BUILT).href)});
    const body = new PassThrough();
    body.write(Buffer.alloc(1024 * 1024, 7));
    localProvider({ root: ${JSON.stringify(root)} })
      .upload({ key: 'never-finished.bin', body, mime: 'application/octet-stream', name: 'n.bin' });
    setInterval(() => undefined, 1000);
  `;
  const child: ChildProcess = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'inherit' });
  const exited = new Promise<NodeJS.Signals | null>((done) => child.once('exit', (_code, signal) => done(signal)));
  const partialHoldsAMiB = () => temporaries().some((f) => statSync(join(root, f)).size >= 1024 * 1024);
  for (let i = 0; i < 2000 && !partialHoldsAMiB() && child.exitCode === null; i++) await sleep(10);
  expect(partialHoldsAMiB()).toBe(true);
  child.kill('SIGKILL');
  expect(await exited).toBe('SIGKILL');
}

describe('cleanup({ olderThan })', () => {
  it('removes the partial file a process killed mid-upload left, and keeps finished objects', async () => {
    await provider.upload({ key: 'kept/done.txt', body: Buffer.from('done'), mime: 'text/plain', name: 'done.txt' });
    utimesSync(join(root, 'kept/done.txt'), LONG_AGO, LONG_AGO);

    await killMidUpload();
    const [partial] = temporaries();
    expect(partial).toBeDefined();
    const killedAt = statSync(join(root, partial!)).mtime;

    // A partial newer than the cut-off stays: it may belong to an upload still running elsewhere.
    expect(await provider.cleanup({ olderThan: new Date(killedAt.getTime() - 1000) })).toEqual({ removed: 0 });
    expect(temporaries()).toEqual([partial]);

    expect(await provider.cleanup({ olderThan: new Date(killedAt.getTime() + 1000) })).toEqual({ removed: 1 });
    expect(temporaries()).toEqual([]);
    expect(filesUnder(root)).toContain('kept/done.txt');
    expect((await provider.stat({ key: 'kept/done.txt' }))?.size).toBe(4);
    // The key the dead process was writing is free, and a new upload to it works.
    expect(await provider.stat({ key: 'never-finished.bin' })).toBeNull();
    await provider.upload({ key: 'never-finished.bin', body: Buffer.from('now'), mime: 'text/plain', name: 'n' });
  });

  it("never touches other programs' files, in the root or in the provider's folder", async () => {
    mkdirSync(join(root, TMP), { recursive: true });
    const foreign = ['notes.tmp', 'upload.part', `${TMP}/README`, `${TMP}/other-program.partial`];
    for (const name of foreign) {
      writeFileSync(join(root, name), 'not the provider’s');
      utimesSync(join(root, name), LONG_AGO, LONG_AGO);
    }
    expect(await provider.cleanup({ olderThan: new Date() })).toEqual({ removed: 0 });
    for (const name of foreign) expect(filesUnder(root)).toContain(name);
  });

  it('skips the partial file of an upload this process is still writing', async () => {
    const body = new PassThrough();
    body.write(Buffer.alloc(64 * 1024));
    const upload = provider.upload({ key: 'slow.bin', body, mime: 'application/octet-stream', name: 'slow.bin' });
    for (let i = 0; i < 500 && temporaries().length === 0; i++) await sleep(5);
    expect(temporaries().length).toBe(1);
    expect(await provider.cleanup({ olderThan: new Date(Date.now() + 60_000) })).toEqual({ removed: 0 });
    body.end(Buffer.alloc(10));
    expect((await upload).size).toBe(64 * 1024 + 10);
    expect(temporaries()).toEqual([]);
  });

  it('resolves { removed: 0 } before anything was ever stored, and refuses a bad date', async () => {
    const fresh = localProvider({ root: join(root, 'not-yet') });
    expect(await fresh.cleanup({ olderThan: new Date() })).toEqual({ removed: 0 });
    expect(readdirSync(root)).toEqual([]);
    for (const bad of [new Date(Number.NaN), '2020-01-01', undefined]) {
      const error = await fresh.cleanup({ olderThan: bad as unknown as Date }).catch((e: unknown) => e);
      expect(isProviderError(error, 'INVALID_INPUT')).toBe(true);
    }
  });

  it("goes through the core's guard like every other method: refused after close()", async () => {
    await provider.close();
    const error = await provider.cleanup({ olderThan: new Date() }).catch((e: unknown) => e);
    expect(isProviderError(error, 'INTERNAL')).toBe(true);
    expect((error as Error).message).toContain('after close()');
  });
});
