// Comparing the CLI's verdict with another runner's: what a plan promises per group, what a CLI run reported per
// group, and a way to run the CLI on a module and read its JSON summary. Each first-party provider uses these to prove
// that `npx upload-provider-conformance` and its own runner agree; a community provider can do the same.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Plan } from '../cases/index.js';
import type { Summary } from './summary.js';

/** Per group: cases passed, cases skipped with the reasons (sorted), and the names of failed cases. */
export type Verdict = Record<string, { passed: number; skipped: number; why: string[]; failures: string[] }>;

/** What a CLI run reported, per group. */
export function verdictOf(summary: Summary): Verdict {
  return Object.fromEntries(
    summary.groups.map((g) => [
      g.group,
      { passed: g.passed, skipped: g.skipped, why: [...g.why].sort(), failures: g.failures.map((f) => f.name) },
    ]),
  );
}

/** What a plan promises when every case it runs passes: the cases per group, and the skipped ones with why. */
export function plannedVerdict(plan: Plan): Verdict {
  const out: Verdict = {};
  const row = (group: string) => {
    out[group] ??= { passed: 0, skipped: 0, why: [], failures: [] };
    return out[group];
  };
  for (const c of plan.cases) row(c.group).passed++;
  for (const s of plan.skipped) {
    const r = row(s.group);
    r.skipped++;
    if (!r.why.includes(s.reason)) r.why = [...r.why, s.reason].sort();
  }
  return out;
}

export interface CliRun {
  /** The command's exit code: 0 when every case passed. */
  code: number;
  summary: Summary;
}

/**
 * Runs `upload-provider-conformance <module> --reporter json` (this package's own CLI, in a child process) with
 * `options` as `--options`, and reads its summary. `env` is added to this process's environment for the child.
 */
export function runConformanceCli(
  module: string,
  opts: { options?: unknown; env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<CliRun> {
  const cli = fileURLToPath(new URL('./main.js', import.meta.url));
  const args = [cli, module, '--reporter', 'json'];
  if (opts.options !== undefined) args.push('--options', JSON.stringify(opts.options));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      try {
        resolve({ code: code ?? 1, summary: JSON.parse(stdout) as Summary });
      } catch {
        reject(
          new Error(`upload-provider-conformance printed no JSON summary (exit ${code}): ${stdout.slice(0, 500)}`),
        );
      }
    });
  });
}
