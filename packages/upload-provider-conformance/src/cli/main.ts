#!/usr/bin/env node
// upload-provider-conformance <module or package or path> [--options <file.json | JSON>] [--reporter table|json|tap]
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { readOptions, resolveTarget, UsageError } from './load.js';
import { formatTable, type Summary } from './summary.js';

const USAGE = `usage: upload-provider-conformance <module | package | path> [--options <file.json | JSON>] [--reporter table|json|tap]

Runs the upload-provider conformance suite on a provider with node:test and exits 1 when any case fails.
The module exports \`conformance\` ({ create, setup?, teardown?, ... } or a function of --options returning it), or a
provider factory made by defineProvider (called with --options). See the README of upload-provider-conformance.`;

const REPORTERS = ['table', 'json', 'tap'] as const;

async function main(argv: string[]): Promise<number> {
  let args: ReturnType<typeof parse>;
  try {
    args = parse(argv);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (args.values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const reporter = args.values.reporter as (typeof REPORTERS)[number];
  let env: NodeJS.ProcessEnv;
  try {
    if (args.positionals.length !== 1) throw new UsageError('give exactly one module, package or path to test');
    if (!REPORTERS.includes(reporter)) throw new UsageError(`--reporter must be one of ${REPORTERS.join(', ')}`);
    const target = resolveTarget(args.positionals[0]!, process.cwd());
    const options = readOptions(args.values.options, process.cwd());
    env = {
      ...process.env,
      UPLOAD_PROVIDER_CONFORMANCE_MODULE: target.file,
      UPLOAD_PROVIDER_CONFORMANCE_LABEL: target.label,
      ...(options === undefined ? {} : { UPLOAD_PROVIDER_CONFORMANCE_OPTIONS: JSON.stringify(options) }),
    };
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`upload-provider-conformance: ${error.message}\n\n${USAGE}\n`);
    return 2;
  }
  const entry = fileURLToPath(new URL('./entry.js', import.meta.url));
  const reporterModule = new URL('./reporter.js', import.meta.url).href;
  const child = spawn(
    process.execPath,
    [
      '--test',
      `--test-reporter=${reporter === 'tap' ? 'tap' : reporterModule}`,
      '--test-reporter-destination=stdout',
      entry,
    ],
    { env, stdio: ['ignore', reporter === 'tap' ? 'inherit' : 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
  });
  const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? 1)));
  if (reporter === 'tap') return code;
  const summary = JSON.parse(out.trim().split('\n').pop() || '{}') as Summary;
  process.stdout.write(reporter === 'json' ? `${JSON.stringify(summary, null, 2)}\n` : formatTable(summary));
  return summary.ok && code === 0 ? 0 : 1;
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      options: { type: 'string' },
      reporter: { type: 'string', default: 'table' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

process.exitCode = await main(process.argv.slice(2));
