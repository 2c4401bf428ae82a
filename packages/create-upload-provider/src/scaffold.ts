import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { type PlannedFile, renderTemplate, type TemplateVersions } from './files.js';
import { NameError, nameFromFolder, type ProviderNames, providerNames } from './names.js';
import { TEMPLATE_DIR, templateVersions } from './package-files.js';

export interface ScaffoldOptions {
  /** The folder to create (or an empty one to fill). */
  dir: string;
  /** The provider's short name; default: the folder's name without `upload-provider-`. */
  name?: string;
  /** Where `dir` is resolved from. Default `process.cwd()`. */
  cwd?: string;
  /** Default: the template this package carries. */
  templateDir?: string;
  /** Default: the versions this package was packed with. */
  versions?: TemplateVersions;
}

export interface ScaffoldResult {
  dir: string;
  names: ProviderNames;
  files: string[];
}

/** Input refused before anything is written; the message says what to change. */
export class ScaffoldError extends Error {}

/** Everything is checked and rendered before the first write: refused input leaves the disk as it was. */
export function scaffold(options: ScaffoldOptions): ScaffoldResult {
  const dir = resolve(options.cwd ?? process.cwd(), options.dir);
  let names: ProviderNames;
  try {
    names = providerNames(options.name ?? nameFromFolder(dir));
  } catch (error) {
    if (!(error instanceof NameError)) throw error;
    throw new ScaffoldError(
      options.name === undefined
        ? `${error.message} (the name comes from the folder unless --name is given)`
        : error.message,
    );
  }
  checkTarget(dir, options.dir);
  const files = renderTemplate(options.templateDir ?? TEMPLATE_DIR, names, options.versions ?? templateVersions());
  write(dir, files);
  return { dir, names, files: files.map((f) => f.path) };
}

export function checkTarget(dir: string, shown: string): void {
  if (!existsSync(dir)) return;
  if (!statSync(dir).isDirectory())
    throw new ScaffoldError(`${shown} is a file: choose a folder name that does not exist yet`);
  if (readdirSync(dir).length > 0)
    throw new ScaffoldError(
      `${shown} already exists and is not empty: choose a new folder, or empty this one first (nothing was written)`,
    );
}

function write(dir: string, files: PlannedFile[]): void {
  for (const file of files) {
    const path = join(dir, file.path);
    mkdirSync(dirname(path), { recursive: true });
    // `wx`: never overwrite, even if something appeared since the check.
    writeFileSync(path, file.content, { flag: 'wx' });
  }
}
