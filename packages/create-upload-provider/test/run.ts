// Runs a command to its end and keeps what it printed, whatever its exit code.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
export const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

const exec = promisify(execFile);

export async function run(command: string, args: string[], cwd: string = PACKAGE_DIR): Promise<Run> {
  try {
    return { code: 0, ...(await exec(command, args, { cwd, maxBuffer: 64 * 1024 * 1024 })) };
  } catch (error) {
    const failed = error as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof failed.code !== 'number') throw error;
    return { code: failed.code, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

/** The scaffold's bin, as `npx create-upload-provider` runs it, from `cwd`. */
export const scaffoldCli = (args: string[], cwd?: string) => run(process.execPath, [CLI, ...args], cwd);
