// The "done when": packed packages, a provider scaffolded into an empty folder outside the workspace,
// installed from the tarballs with npm, green under `npm test` and the conformance CLI; then its `delete` broken to
// do nothing, and both red, naming the delete group. The broken one is a copy of the installed project, so the two
// verdicts are run side by side (the suite mostly waits on expiries and aborts) instead of one after the other.
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { PACKAGE_DIR, type Run, run } from './run.js';

jest.setTimeout(300_000);

const PACKED = ['upload-provider', 'upload-provider-conformance', 'create-upload-provider'];
const work = mkdtempSync(join(tmpdir(), 'scaffold-check-'));
const app = join(work, 'upload-provider-folder');
const broken = join(work, 'upload-provider-folder-broken');
const tarballs: Record<string, string> = {};
const SCAFFOLD = ['create-upload-provider', 'upload-provider-folder', '--yes'];
const NPM = ['--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'];

/** Fails with everything the command printed, so a red run explains itself. */
function ok(result: Run, what: string): Run {
  if (result.code !== 0) throw new Error(`${what} exited ${result.code}\n${result.stdout}\n${result.stderr}`);
  return result;
}

beforeAll(async () => {
  const packs = join(work, 'tarballs');
  mkdirSync(packs);
  await Promise.all(
    PACKED.map(async (name) => {
      ok(await run('pnpm', ['pack', '--pack-destination', packs], join(PACKAGE_DIR, '..', name)), `pnpm pack ${name}`);
    }),
  );
  for (const name of PACKED) {
    const file = readdirSync(packs).find((f) => new RegExp(`^${name}-\\d`).test(f));
    if (!file) throw new Error(`pnpm pack made no tarball for ${name}`);
    tarballs[name] = join(packs, file);
  }
  // As `npm create upload-provider` runs it: npm exec of the packed scaffold, in a folder outside the workspace.
  ok(
    await run(
      'npm',
      ['exec', ...NPM, '--yes', `--package=${tarballs['create-upload-provider']}`, '--', ...SCAFFOLD],
      work,
    ),
    'create-upload-provider',
  );
  // The ranges it wrote point at the registry; here they point at the tarballs, and `npm install` runs as a user's.
  const manifestFile = join(app, 'package.json');
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8'));
  written = { dependencies: { ...manifest.dependencies }, devDependencies: { ...manifest.devDependencies } };
  manifest.dependencies['upload-provider'] = `file:${tarballs['upload-provider']}`;
  manifest.devDependencies['upload-provider-conformance'] = `file:${tarballs['upload-provider-conformance']}`;
  writeFileSync(manifestFile, JSON.stringify(manifest, null, 2));
  ok(await run('npm', ['install', ...NPM], app), 'npm install');
  cpSync(app, broken, { recursive: true, verbatimSymlinks: true });
  const file = join(broken, 'src/index.ts');
  const source = readFileSync(file, 'utf8');
  writeFileSync(file, source.replace(/async delete\(ref\) \{[\s\S]*?\n {6}\},/, 'async delete(_ref) {},'));
  brokenSource = { before: source, after: readFileSync(file, 'utf8') };
  verdicts = {
    // Right after `npm install` (its `prepare` built the package), then `npm test`.
    green: (async () => {
      const cli = await conformanceCli(app);
      return { cli, test: await run('npm', ['test'], app) };
    })(),
    // `npm test` rebuilds the broken source first, then the CLI runs on what it built.
    red: (async () => {
      const test = await run('npm', ['test'], broken);
      return { test, cli: await conformanceCli(broken) };
    })(),
  };
});

let written: { dependencies: Record<string, string>; devDependencies: Record<string, string> };
let brokenSource: { before: string; after: string };
let verdicts: Record<'green' | 'red', Promise<{ test: Run; cli: Run }>>;
const conformanceCli = (dir: string) => run('npx', ['upload-provider-conformance', '.'], dir);

afterAll(() => rmSync(work, { recursive: true, force: true }));

const summaryRow = (table: string, group: string) =>
  table.split('\n').find((line) => line.startsWith(`| ${group} `)) ?? `(no row for ${group})`;

describe('a scaffolded provider, installed from the packed packages outside the workspace', () => {
  test('depends on the packed versions of upload-provider and the suite, and on nothing else but its compiler', () => {
    const version = (name: string) => basename(tarballs[name]!).slice(name.length + 1, -'.tgz'.length);
    expect(written.dependencies).toEqual({ 'upload-provider': `^${version('upload-provider')}` });
    expect(written.devDependencies).toEqual({
      '@types/node': expect.any(String),
      typescript: expect.any(String),
      'upload-provider-conformance': `^${version('upload-provider-conformance')}`,
    });
  });

  test('passes `npx upload-provider-conformance .` right after `npm install`, and `npm test`, before a line changes', async () => {
    const { test, cli } = await verdicts.green;
    ok(test, 'npm test');
    expect(test.stdout).toMatch(/^# fail 0$/m);
    expect(test.stdout).toMatch(/^ {4}ok \d+ - delete$/m);
    ok(cli, 'upload-provider-conformance .');
    expect(summaryRow(cli.stdout, 'delete')).toMatch(/^\| delete +\| +2 \| +0 \| +0 \|/);
    expect(summaryRow(cli.stdout, 'signed URLs')).toMatch(/\| +5 \| +0 \| +0 \|/);
    expect(cli.stdout).toMatch(/✔ conforms\n$/);
  });

  test('with `delete` broken to do nothing, both are red and name the delete group', async () => {
    expect(brokenSource.after).not.toBe(brokenSource.before);
    expect(brokenSource.after).toContain('async delete(_ref) {},');
    const { test, cli } = await verdicts.red;
    expect(test.stdout).toMatch(/^ {4}not ok \d+ - delete$/m);
    expect(test.stdout).toMatch(/^# fail [1-9]/m);
    expect(test.code).not.toBe(0);
    const failedGroups = cli.stdout.match(/^\| [a-zA-Z][^|]*?(?= +\| +\d+ \| +[1-9])/gm)?.map((g) => g.slice(2));
    expect(failedGroups).toEqual(['delete']);
    expect(cli.stdout).toMatch(/✖ delete › a deleted object no longer serves/);
    expect(cli.stdout).toMatch(/✖ does not conform\n$/);
    expect(cli.code).toBe(1);
  });
});
