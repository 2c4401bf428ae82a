import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { type Plan, planConformance } from 'upload-provider-conformance';
import { gcsProvider } from '../src/index.js';
import { BUCKET, conformanceOptions, MODES } from './support/conformance-options.mjs';
import { type GcsEmulator, PROJECT_ID, startGcsEmulator } from './support/emulator.js';
import { makeServiceAccount } from './support/signing.mjs';

// `npx upload-provider-conformance` runs the suite with node:test on the built provider (support/cli-conformance.mjs,
// the options conformance.test.ts gives Jest); its verdict must be the Jest run's: in every group the cases Jest runs
// pass, the cases Jest skips are skipped for the same reasons, nothing fails, and the command exits 0.

let gcs: GcsEmulator;
beforeAll(async () => {
  gcs = await startGcsEmulator();
});
afterAll(() => gcs.stop());

const capabilities = gcsProvider.capabilitiesFor({ bucket: BUCKET });

test.each(Object.keys(MODES) as Array<keyof typeof MODES>)("gives the Jest run's verdict in %s mode", async (name) => {
  const mode = MODES[name];
  const baseUrl = gcs.downloadBase(BUCKET);
  const { code, summary } = await runCli({ mode: name, baseUrl, projectId: PROJECT_ID });
  const jest = conformanceOptions(gcsProvider, mode, {
    account: makeServiceAccount(PROJECT_ID),
    baseUrl: () => baseUrl,
  });
  const plan = planConformance(jest, capabilities, mode.private);
  expect(rows(summary)).toEqual(planned(plan));
  expect(summary.ok).toBe(true);
  expect(code).toBe(0);
});

interface Summary {
  ok: boolean;
  groups: Array<{ group: string; passed: number; skipped: number; why: string[]; failures: Array<{ name: string }> }>;
}
type Rows = Record<string, { passed: number; skipped: number; why: string[]; failures: string[] }>;

/** Per group: what the CLI passed, skipped (and why) and failed. */
function rows(summary: Summary): Rows {
  return Object.fromEntries(
    summary.groups.map((g) => [
      g.group,
      { passed: g.passed, skipped: g.skipped, why: [...g.why].sort(), failures: g.failures.map((f) => f.name) },
    ]),
  );
}

/** Per group: the cases the Jest run registers as tests (all pass there) and the ones it skips, with why. */
function planned(plan: Plan): Rows {
  const out: Rows = {};
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

function runCli(options: unknown): Promise<{ code: number; summary: Summary }> {
  const cli = fileURLToPath(new URL('../node_modules/upload-provider-conformance/dist/cli/main.js', import.meta.url));
  const module = fileURLToPath(new URL('./support/cli-conformance.mjs', import.meta.url));
  const args = [cli, module, '--options', JSON.stringify(options), '--reporter', 'json'];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      env: { ...process.env, STORAGE_EMULATOR_HOST: gcs.host },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      stdout += c;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, summary: JSON.parse(stdout) as Summary }));
  });
}
