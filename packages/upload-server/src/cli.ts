#!/usr/bin/env node
import { readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { isProviderError } from 'upload-provider';
import { buildApp, StartupError } from './app.js';
import { generateToken, hashToken } from './auth/tokens.js';
import { ConfigError, loadConfig } from './config/load.js';
import { MIGRATE_USAGE, migrate, parseMigrateArgs, UsageError } from './migrate/command.js';
import { openDatabase } from './store/db.js';
import { createRepository } from './store/repository.js';

const HELP = `upload-server: Strapi-compatible upload API over any upload-provider backend

Usage:
  upload-server start [--config FILE] [--port N] [--host H] [--pretty | --json]
  upload-server token create --name NAME [--access read-only|full-access] [--config FILE]
  ${MIGRATE_USAGE}
  upload-server --help | --version

Configuration: upload.config.{ts,mts,js,mjs,json} in the working directory (or --config / UPLOAD_CONFIG),
then environment variables (PORT, HOST, DATABASE_URL, UPLOAD_PROVIDER, UPLOAD_PROVIDER_OPTIONS, ...), then flags.
Data (SQLite file, local uploads) lives under ./.data unless configured.`;

function fail(message: string, code = 1): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

function version(): string {
  try {
    const path = join(dirname(realpathSync(process.argv[1]!)), '..', 'package.json');
    return (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

async function loadOrExit(file: string | undefined, overrides: Record<string, unknown>) {
  try {
    return await loadConfig({ ...(file ? { file } : {}), overrides });
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message, 78);
    throw error;
  }
}

async function start(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      config: { type: 'string', short: 'c' },
      port: { type: 'string', short: 'p' },
      host: { type: 'string' },
      // Logs are pretty on a terminal and JSON otherwise; these force one or the other.
      pretty: { type: 'boolean' },
      json: { type: 'boolean' },
    },
    strict: true,
  });
  const { config, file } = await loadOrExit(values.config, {
    ...(values.port !== undefined ? { port: values.port } : {}),
    ...(values.host !== undefined ? { host: values.host } : {}),
    ...(values.pretty ? { logFormat: 'pretty' } : values.json ? { logFormat: 'json' } : {}),
  });
  let app: Awaited<ReturnType<typeof buildApp>>;
  try {
    app = await buildApp(config);
  } catch (error) {
    if (error instanceof StartupError) fail(error.message, 78);
    if (isProviderError(error, 'INVALID_OPTIONS', 'PROVIDER_NOT_FOUND')) {
      fail(`Invalid upload-server configuration (provider "${config.provider.name}"):\n  - ${error.message}`, 78);
    }
    const message = error instanceof Error ? error.message : String(error);
    fail(`upload-server could not start: ${message}`);
  }
  if (file) app.log.info({ file }, 'configuration file loaded');

  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) {
      app.log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    closing = true;
    app.log.info({ signal }, 'shutting down: finishing requests in flight');
    const timer = setTimeout(() => {
      app.log.error('requests still running after the shutdown timeout: exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs);
    timer.unref();
    app.close().then(
      () => {
        app.log.info('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        app.log.error({ err: error }, 'error while shutting down');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));

  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (error) {
    await app.close().catch(() => {});
    const e = error as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE')
      fail(`Port ${config.port} on ${config.host} is already in use: pass --port or set PORT`);
    fail(`upload-server could not listen on ${config.host}:${config.port}: ${e.message}`);
  }
}

async function tokenCreate(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      name: { type: 'string', short: 'n' },
      access: { type: 'string', default: 'full-access' },
      config: { type: 'string', short: 'c' },
    },
    strict: true,
  });
  if (!values.name) fail('token create needs --name NAME');
  if (values.access !== 'read-only' && values.access !== 'full-access') {
    fail('--access must be read-only or full-access');
  }
  const { config } = await loadOrExit(values.config, {});
  const database = await openDatabase({
    ...(config.database.url ? { url: config.database.url } : {}),
    ...(config.database.schema ? { schema: config.database.schema } : {}),
    poolSize: config.database.poolSize,
    dataDir: config.dataDir,
  });
  try {
    const repo = createRepository(database.db, database.dialect);
    const token = generateToken();
    try {
      await repo.createToken({ name: values.name, tokenHash: hashToken(token), access: values.access });
    } catch (error) {
      if (/unique|duplicate/i.test(String((error as Error).message))) {
        fail(`A token named "${values.name}" already exists: choose another --name`);
      }
      throw error;
    }
    process.stdout.write(`${token}\n`);
    process.stderr.write(
      `Created ${values.access} token "${values.name}" in ${database.describe}.\n` +
        'It is shown only this once (only its sha256 is stored): keep it now. ' +
        'Send it as "Authorization: Bearer <token>".\n',
    );
  } finally {
    await database.close();
  }
}

async function migrateCommand(args: string[]): Promise<void> {
  let options: ReturnType<typeof parseMigrateArgs>;
  try {
    options = parseMigrateArgs(args);
  } catch (error) {
    if (error instanceof UsageError) fail(error.message, 64);
    throw error;
  }
  const { config } = await loadOrExit(options.config, {});
  const stop = new AbortController();
  // The first Ctrl-C lets the copies in flight finish and be recorded; a second one exits at once.
  process.on('SIGINT', () => {
    if (stop.signal.aborted) process.exit(130);
    process.stderr.write('\nStopping after the copies in flight (Ctrl-C again to quit now)…\n');
    stop.abort();
  });
  const code = await migrate(options, config, {
    out: process.stdout,
    err: process.stderr,
    stop: stop.signal,
    cwd: process.cwd(),
  });
  process.exit(code);
}

async function main(argv: string[]): Promise<void> {
  const [command, sub, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  if (command === '--version' || command === '-v') {
    process.stdout.write(`${version()}\n`);
    return;
  }
  if (command === 'start') return start(sub === undefined ? [] : [sub, ...rest]);
  if (command === 'token' && sub === 'create') return tokenCreate(rest);
  if (command === 'migrate') return migrateCommand(sub === undefined ? [] : [sub, ...rest]);
  fail(`Unknown command "${argv.join(' ')}".\n\n${HELP}`, 64);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof Error && (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS'))
    fail(error.message, 64);
  fail(`upload-server failed: ${error instanceof Error ? error.message : String(error)}`);
});
