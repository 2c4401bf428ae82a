// Logs: JSON lines when stdout is not a terminal (production), readable lines with `--pretty` (pino-pretty, the
// default on a terminal); redaction holds in both.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { startCli } from './helpers/cli.js';

const FIXTURE = join(__dirname, 'helpers', 'fixture-provider.mjs');
const SECRET = 'S'.repeat(32);
let cwd: string;

beforeEach(() => {
  cwd = mkdtempSync(join(tmpdir(), 'upload-server-logs-'));
  writeFileSync(
    join(cwd, 'upload.config.json'),
    JSON.stringify({ port: 0, provider: { name: FIXTURE, options: { root: join(cwd, 'objects') } } }),
  );
});
afterEach(() => rmSync(cwd, { recursive: true, force: true }));

async function logsOf(args: string[]): Promise<string[]> {
  const server = await startCli(args, { cwd });
  try {
    await fetch(`${server.url}/api/files/${SECRET}`);
  } finally {
    server.child.kill('SIGTERM');
  }
  expect(await server.exited).toBe(0);
  return server.output().trim().split('\n');
}

describe('log format', () => {
  test('piped (not a terminal): one JSON object per line', async () => {
    const lines = await logsOf([]);
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
    expect(lines.join('\n')).toContain('/api/files/[redacted]');
    expect(lines.join('\n')).not.toContain(SECRET);
  });

  test('--pretty: readable lines (level, time, message), no JSON, the secret still redacted', async () => {
    const lines = await logsOf(['--pretty']);
    const text = lines.join('\n');
    expect(text).toMatch(/INFO.*Server listening at http:\/\/127\.0\.0\.1:\d+/);
    expect(lines.filter((line) => line.startsWith('{'))).toEqual([]);
    expect(text).toContain('/api/files/[redacted]');
    expect(text).not.toContain(SECRET);
  });
});
