import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The Strapi version the app is created with (5.55.0 does not install from the registry here). */
export const STRAPI_VERSION = '5.54.0';

// What the test adds to a fresh app: the upload plugin's config comes from an environment variable (so one built app
// serves every case), and the public role may find, upload and delete files through the REST API.
const PLUGINS = `import type { Core } from '@strapi/strapi';

const config = ({ env }: Core.Config.Shared.ConfigParams): Core.Config.Plugin => {
  const upload = env('UPLOAD_PROVIDER_TEST_CONFIG');
  return upload ? { upload: { config: JSON.parse(upload) } } : {};
};

export default config;
`;
const INDEX = `import type { Core } from '@strapi/strapi';

const ACTIONS = ['find', 'findOne', 'upload', 'destroy'].map((a) => \`plugin::upload.content-api.\${a}\`);

export default {
  register() {},
  async bootstrap({ strapi }: { strapi: Core.Strapi }) {
    const role = await strapi.db.query('plugin::users-permissions.role').findOne({ where: { type: 'public' } });
    const permissions = strapi.db.query('plugin::users-permissions.permission');
    for (const action of ACTIONS) {
      if (!(await permissions.findOne({ where: { action, role: role.id } }))) {
        await permissions.create({ data: { action, role: role.id } });
      }
    }
  },
};
`;

/** The workspace packages a Strapi app needs to load this bridge and the providers it wraps. */
const LINKED = ['upload-provider-strapi', 'upload-provider-aws-s3', 'upload-provider-local'];
const PACKAGES = resolve(__dirname, '../../..');

/**
 * A built Strapi app, made with create-strapi-app once per Strapi version and test set-up and kept outside the
 * repository (`$UPLOAD_PROVIDER_STRAPI_CACHE`, default `~/.cache/upload-provider-strapi`), so later runs start in
 * seconds; a fresh machine (CI) creates it, which takes minutes. It is built in a folder of its own and renamed into
 * place when ready, so two runs at once never share a half-made app.
 */
export async function ensureStrapiApp(): Promise<{ dir: string; created: boolean }> {
  const cache = process.env.UPLOAD_PROVIDER_STRAPI_CACHE ?? join(homedir(), '.cache', 'upload-provider-strapi');
  const digest = createHash('sha256').update(PLUGINS).update(INDEX).digest('hex').slice(0, 12);
  const dir = join(cache, `strapi-app-${STRAPI_VERSION}-${digest}`);
  if (existsSync(join(dir, '.ready'))) return { dir, created: false };
  const building = `${dir}.building-${process.pid}`;
  rmSync(building, { recursive: true, force: true });
  mkdirSync(cache, { recursive: true });
  const env = { ...process.env, STRAPI_TELEMETRY_DISABLED: 'true', NODE_OPTIONS: '' };
  const args = [
    '--skip-cloud',
    '--no-run',
    '--ts',
    '--use-npm',
    '--install',
    '--no-example',
    '--no-git-init',
    '--skip-db',
  ];
  try {
    await run('npx', ['-y', `create-strapi-app@${STRAPI_VERSION}`, building, ...args], {
      cwd: cache,
      env,
      maxBuffer: 64 << 20,
    });
    writeFileSync(join(building, 'config', 'plugins.ts'), PLUGINS);
    writeFileSync(join(building, 'src', 'index.ts'), INDEX);
    await run('npm', ['run', 'build'], { cwd: building, env, maxBuffer: 64 << 20 });
    writeFileSync(join(building, '.ready'), new Date().toISOString());
    rmSync(dir, { recursive: true, force: true });
    renameSync(building, dir);
  } finally {
    rmSync(building, { recursive: true, force: true });
  }
  return { dir, created: true };
}

/**
 * A folder of links to this checkout's packages, given to Strapi as NODE_PATH: Strapi's `require` of the provider
 * and the bridge's loading of upload-provider-aws-s3 and -local find them there, and the shared app is never changed.
 */
export function linkWorkspacePackages(into: string): string {
  const modules = join(into, 'node_modules');
  mkdirSync(modules, { recursive: true });
  for (const name of LINKED) symlinkSync(join(PACKAGES, name), join(modules, name), 'dir');
  return modules;
}

export interface RunningStrapi {
  url: string;
  /** What Strapi printed, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

/**
 * Starts `strapi start` in the app on 127.0.0.1 with a fresh SQLite file (removed on stop) and the given upload config;
 * resolves when healthy.
 */
export async function startStrapi(dir: string, uploadConfig: unknown, nodePath: string): Promise<RunningStrapi> {
  const port = await freePort();
  // The app's config/database.ts joins DATABASE_FILENAME to the app folder, so it must be relative.
  const database = join('.tmp', `test-${process.pid}-${port}.db`);
  mkdirSync(join(dir, '.tmp'), { recursive: true });
  let output = '';
  const child: ChildProcess = spawn(process.execPath, ['node_modules/@strapi/strapi/bin/strapi.js', 'start'], {
    cwd: dir,
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: String(port),
      DATABASE_FILENAME: database,
      UPLOAD_PROVIDER_TEST_CONFIG: JSON.stringify(uploadConfig),
      STRAPI_TELEMETRY_DISABLED: 'true',
      NODE_OPTIONS: '--openssl-legacy-provider',
      NODE_PATH: nodePath,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d) => (output += String(d)));
  child.stderr?.on('data', (d) => (output += String(d)));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(join(dir, database), { force: true });
  };
  for (;;) {
    const gone = await Promise.race([exited.then(() => true), new Promise((r) => setTimeout(r, 250, false))]);
    if (gone) throw new Error(`Strapi exited before it was ready:\n${output.slice(-4000)}`);
    const healthy = await fetch(`${url}/_health`).then(
      (r) => r.status === 204 || r.ok,
      () => false,
    );
    if (healthy) break;
  }
  return { url, output: () => output, stop };
}
