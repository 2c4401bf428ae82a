#!/usr/bin/env node
// create-upload-provider [dir] [--name <name>] [--yes]: writes a new provider package, then prints what to run next.
import { isAbsolute, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { ask } from './prompt.js';
import { ScaffoldError, scaffold } from './scaffold.js';

const USAGE = `usage: npm create upload-provider@latest [dir] [-- --name <name> --yes]
       npx create-upload-provider [dir] [--name <name>] [--yes]

Writes a package upload-provider-<name> into dir (new or empty): a provider made with defineProvider that stores
files in a folder, its conformance test, README, tsconfig and changesets. It installs nothing.
  --name <name>  the provider's name (default: dir without "upload-provider-"); users load it as provider: '<name>'
  --yes, -y      ask nothing; use the defaults for what is not given`;

async function main(argv: string[]): Promise<number> {
  let args: ReturnType<typeof parse>;
  try {
    args = parse(argv);
    if (args.positionals.length > 1) throw new Error(`give one folder, got ${args.positionals.join(' ')}`);
  } catch (error) {
    process.stderr.write(`create-upload-provider: ${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (args.values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let dir = args.positionals[0];
  let name = args.values.name;
  if (!args.values.yes && process.stdin.isTTY) ({ dir, name } = await ask({ dir, name }));
  if (dir === undefined) {
    process.stderr.write(
      `create-upload-provider: give the folder to create, e.g. upload-provider-my-store\n\n${USAGE}\n`,
    );
    return 2;
  }
  try {
    const result = scaffold({
      dir,
      ...(name === undefined ? {} : { name }),
    });
    // Relative when it is below the current folder, so the printed `cd` is short; absolute otherwise.
    const below = relative(process.cwd(), result.dir);
    const shown = below === '' ? '.' : below.startsWith('..') || isAbsolute(below) ? result.dir : below;
    process.stdout.write(
      [
        `Created ${result.names.packageName} in ${shown} (${result.files.length} files; nothing installed).`,
        '',
        'Next:',
        ...(shown === '.' ? [] : [`  cd ${shown}`]),
        '  npm install',
        '  npm test                           # builds, then runs the conformance suite with node:test',
        '  npx upload-provider-conformance .  # the same suite as a table of groups, for your README',
        '',
        `Then replace the folder in src/index.ts with your storage, method by method.`,
        '',
      ].join('\n'),
    );
    return 0;
  } catch (error) {
    if (!(error instanceof ScaffoldError)) throw error;
    process.stderr.write(`create-upload-provider: ${error.message}\n`);
    return 1;
  }
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      name: { type: 'string', short: 'n' },
      yes: { type: 'boolean', short: 'y' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

process.exitCode = await main(process.argv.slice(2));
