import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { ProviderNames } from './names.js';

/** The version ranges the generated package depends on. */
export interface TemplateVersions {
  uploadProvider: string;
  conformance: string;
}

/** A file to write, relative to the new package's folder. */
export interface PlannedFile {
  path: string;
  content: string;
}

// npm leaves `.gitignore` out of published packages, so the template keeps it under another name.
const RENAMED: Record<string, string> = { _gitignore: '.gitignore' };

/** Every file of the new package: the template with the names filled in, and its package.json. */
export function renderTemplate(templateDir: string, names: ProviderNames, versions: TemplateVersions): PlannedFile[] {
  const files = listFiles(templateDir).map((file) => {
    const path = relative(templateDir, file).split('\\').join('/');
    return { path: RENAMED[path] ?? path, content: fill(readFileSync(file, 'utf8'), names) };
  });
  files.push({ path: 'package.json', content: `${JSON.stringify(packageJson(names, versions), null, 2)}\n` });
  return files.sort((a, b) => a.path.localeCompare(b.path));
}

function fill(text: string, names: ProviderNames): string {
  return text
    .replaceAll('upload-provider-__name__', names.packageName)
    .replaceAll('__name__', names.name)
    .replaceAll('__camel__', names.camel)
    .replaceAll('__Pascal__', names.pascal);
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? listFiles(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

function packageJson(names: ProviderNames, versions: TemplateVersions) {
  return {
    name: names.packageName,
    version: '0.0.0',
    description: `An upload-provider storage backend: provider: '${names.name}'.`,
    license: 'MIT',
    type: 'module',
    keywords: ['upload-provider'],
    engines: { node: '>=20.9' },
    main: './dist/src/index.js',
    types: './dist/src/index.d.ts',
    exports: {
      '.': { types: './dist/src/index.d.ts', default: './dist/src/index.js' },
      './conformance': { types: './dist/src/conformance.d.ts', default: './dist/src/conformance.js' },
      './package.json': './package.json',
    },
    files: ['dist/src', 'README.md', 'CHANGELOG.md'],
    scripts: {
      build: 'tsc',
      test: 'tsc && node --test dist/test/*.test.js',
      conformance: 'tsc && upload-provider-conformance .',
      // `npm install` builds too, so `npx upload-provider-conformance .` works right after it.
      prepare: 'tsc',
      changeset: 'npx -y @changesets/cli@2.31.1',
      release: 'tsc && npx -y @changesets/cli@2.31.1 publish',
    },
    dependencies: { 'upload-provider': versions.uploadProvider },
    devDependencies: {
      '@types/node': '^20.19.0',
      typescript: '7.0.2',
      'upload-provider-conformance': versions.conformance,
    },
  };
}
