// The built upload-server in a child process (SQLite, the local provider, in a folder of its own), so a benchmark
// measures the server's memory alone; and the child's resident memory.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const server = new URL('../packages/upload-server/', import.meta.url);

/**
 * When this process was started by {@link startServerChild}, runs the server (config: the defaults here plus
 * `configFor(dir)`) until stdin ends, and returns true. Otherwise returns false at once.
 */
export async function runAsServerChild(configFor = () => ({})) {
  if (process.argv[2] !== '--server') return false;
  const dir = process.argv[3];
  const { buildApp } = await import(new URL('dist/app.js', server).href);
  const { parseConfig } = await import(new URL('dist/config/load.js', server).href);
  const config = parseConfig({
    host: '127.0.0.1',
    port: 0,
    dataDir: dir,
    logLevel: 'silent',
    database: { url: join(dir, 'bench.db') },
    provider: { name: 'local', options: { root: join(dir, 'uploads') } },
    ...configFor(dir),
  });
  // Providers are resolved from the server package, where upload-provider-local is a dependency.
  const app = await buildApp(config, { logger: false, cwd: fileURLToPath(server), publicUrl: 'http://127.0.0.1:0' });
  await app.listen({ host: '127.0.0.1', port: 0 });
  process.stdout.write(`${app.server.address().port}\n`);
  process.stdin.resume();
  process.stdin.on('end', () => app.close().then(() => process.exit(0)));
  return true;
}

/** Starts `script` (which calls {@link runAsServerChild}) as the server child in `dir`; resolves once it listens. */
export async function startServerChild(script, dir) {
  const child = spawn(process.execPath, [fileURLToPath(script), '--server', dir], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const stop = async () => {
    child.stdin.end();
    if (child.exitCode === null) await new Promise((resolve) => child.once('exit', resolve));
  };
  try {
    const port = await new Promise((resolve, reject) => {
      child.stdout.once('data', (data) => resolve(Number(String(data).trim())));
      child.once('exit', (code) => reject(new Error(`the server exited with ${code}`)));
    });
    return { url: `http://127.0.0.1:${port}`, pid: child.pid, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** A process's resident memory in bytes (VmRSS). */
export async function rss(pid) {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)[1]) * 1024;
}
