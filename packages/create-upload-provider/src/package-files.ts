// What this package carries beside its code: the template folder, and the ranges the generated package depends on.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { TemplateVersions } from './files.js';

export const TEMPLATE_DIR = fileURLToPath(new URL('../template', import.meta.url));

/** The ranges this package was packed with (its devDependencies on upload-provider and the suite). */
export function templateVersions(): TemplateVersions {
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    devDependencies: Record<string, string>;
  };
  const require = createRequire(import.meta.url);
  // Inside the monorepo the ranges read `workspace:^`: take the version of the workspace's package instead.
  const range = (pkg: string) => {
    const declared = manifest.devDependencies[pkg]!;
    if (!declared.startsWith('workspace:')) return declared;
    return `^${(require(`${pkg}/package.json`) as { version: string }).version}`;
  };
  return { uploadProvider: range('upload-provider'), conformance: range('upload-provider-conformance') };
}
