// The scaffold's bin run as users run it (a child process on built code), writing into temporary folders.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from '@jest/globals';
import { scaffoldCli } from './run.js';

const work = mkdtempSync(join(tmpdir(), 'create-upload-provider-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const listAll = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();

describe('npx create-upload-provider <dir> --yes', () => {
  test('writes the package with the names filled in, installs nothing, and prints the next commands', async () => {
    const { code, stdout, stderr } = await scaffoldCli(['upload-provider-my-store', '--yes'], work);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const dir = join(work, 'upload-provider-my-store');
    expect(listAll(dir)).toEqual([
      '.changeset/README.md',
      '.changeset/config.json',
      '.gitignore',
      'README.md',
      'package.json',
      'src/conformance.ts',
      'src/folder.ts',
      'src/handler.ts',
      'src/index.ts',
      'src/signing.ts',
      'test/conformance.test.ts',
      'tsconfig.json',
    ]);
    for (const file of listAll(dir))
      expect(readFileSync(join(dir, file), 'utf8')).not.toMatch(/__(name|camel|Pascal)__/);
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    expect(manifest).toMatchObject({
      name: 'upload-provider-my-store',
      engines: { node: '>=20.9' },
      exports: { '.': expect.any(Object), './conformance': expect.any(Object) },
    });
    // Inside the workspace the ranges come from the packages themselves, never `workspace:`.
    expect(manifest.dependencies['upload-provider']).toMatch(/^\^\d+\.\d+\.\d+/);
    expect(Object.keys(manifest.devDependencies).sort()).toEqual([
      '@types/node',
      'typescript',
      'upload-provider-conformance',
    ]);
    const source = readFileSync(join(dir, 'src/index.ts'), 'utf8');
    expect(source).toContain("export const PROVIDER_NAME = 'my-store';");
    expect(source).toContain('export const myStoreProvider = defineProvider({');
    expect(readFileSync(join(dir, 'test/conformance.test.ts'), 'utf8')).toContain(
      "from 'upload-provider-conformance/node-test'",
    );
    expect(existsSync(join(dir, 'node_modules'))).toBe(false);
    expect(stdout).toContain('Created upload-provider-my-store in upload-provider-my-store');
    expect(stdout).toMatch(
      /cd upload-provider-my-store\n\s+npm install\n\s+npm test .*\n\s+npx upload-provider-conformance \./,
    );
  });

  test('--name names the package whatever the folder is called; an empty folder is filled', async () => {
    mkdirSync(join(work, 'empty'));
    const { code } = await scaffoldCli(['empty', '--name', 'b2', '--yes'], work);
    expect(code).toBe(0);
    expect(JSON.parse(readFileSync(join(work, 'empty/package.json'), 'utf8')).name).toBe('upload-provider-b2');
  });

  test('an existing non-empty folder is refused and left as it was', async () => {
    const dir = join(work, 'taken');
    mkdirSync(dir);
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    const { code, stdout, stderr } = await scaffoldCli(['taken', '--name', 'taken', '--yes'], work);
    expect(stderr).toMatch(/taken already exists and is not empty: choose a new folder, or empty this one first/);
    expect(stdout).toBe('');
    expect(code).toBe(1);
    expect(listAll(dir)).toEqual(['notes.txt']);
  });

  test.each([
    ['an invalid package name', 'My Store', /not a valid npm package name .*--name my-store/],
    ['a name with the package prefix', 'upload-provider-s3', /without its prefix: --name s3/],
    ['a name with an underscore', 'my_store', /lowercase letters, digits and single hyphens/],
    ["one of the project's own names", 'local', /one of upload-provider's own packages/],
  ])('%s is refused with what to change, and nothing is written', async (_what, name, message) => {
    const { code, stderr } = await scaffoldCli(['refused', '--name', name, '--yes'], work);
    expect(stderr).toMatch(message);
    expect(code).toBe(1);
    expect(existsSync(join(work, 'refused'))).toBe(false);
  });

  test('a folder whose name is not a provider name needs --name, and says so', async () => {
    const { code, stderr } = await scaffoldCli(['My_Provider', '--yes'], work);
    expect(stderr).toMatch(/the name comes from the folder unless --name is given/);
    expect(code).toBe(1);
    expect(existsSync(join(work, 'My_Provider'))).toBe(false);
  });

  test('without a folder (and no terminal to ask in) it says what to give, exit 2', async () => {
    const { code, stderr } = await scaffoldCli(['--yes'], work);
    expect(stderr).toMatch(/give the folder to create/);
    expect(code).toBe(2);
  });
});
