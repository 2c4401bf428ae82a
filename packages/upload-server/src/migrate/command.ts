import { parseArgs } from 'node:util';
import { isProviderError, type UploadProvider } from 'upload-provider';
import type { UploadServerConfig } from '../config/schema.js';
import { createProvider } from '../provider.js';
import { openDatabase } from '../store/db.js';
import { ObjectMigrations } from '../store/object-migrations.js';
import { createRepository } from '../store/repository.js';
import { deleteSources, sourceRefs } from './delete-source.js';
import { createReporter } from './report.js';
import { planCopy, runCopy } from './run.js';
import { NotCopiedError, RowsChangedError, switchRows } from './switch.js';
import {
  configToUse,
  createTarget,
  parseTarget,
  probeTarget,
  TargetError,
  type TargetSpec,
  targetId,
} from './target.js';

export const MIGRATE_USAGE =
  'upload-server migrate --to <provider name | JSON | file.json> [--concurrency N] [--dry-run] [--switch] [--delete-source] [--interval S] [--config FILE]';

export interface MigrateIo {
  out: NodeJS.WriteStream;
  err: NodeJS.WriteStream;
  /** Fires on SIGINT: stop starting copies. */
  stop: AbortSignal;
  cwd: string;
}

export class UsageError extends Error {}

export function parseMigrateArgs(args: string[]) {
  const { values } = parseArgs({
    args,
    options: {
      to: { type: 'string' },
      concurrency: { type: 'string', default: '4' },
      'dry-run': { type: 'boolean', default: false },
      switch: { type: 'boolean', default: false },
      'delete-source': { type: 'boolean', default: false },
      config: { type: 'string', short: 'c' },
      interval: { type: 'string', default: '2' },
    },
    strict: true,
  });
  if (!values.to) throw new UsageError(`migrate needs --to: ${MIGRATE_USAGE}`);
  const concurrency = Number(values.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) {
    throw new UsageError('--concurrency must be a whole number from 1 to 64');
  }
  const interval = Number(values.interval);
  if (!Number.isFinite(interval) || interval <= 0)
    throw new UsageError('--interval must be a positive number of seconds');
  if (values['delete-source'] && !values.switch) {
    throw new UsageError('--delete-source needs --switch: the rows must point at the copies before the originals go');
  }
  return {
    to: values.to,
    concurrency,
    dryRun: values['dry-run'],
    switch: values.switch,
    deleteSource: values['delete-source'],
    config: values.config,
    intervalMs: interval * 1000,
  };
}

const MiB = 1024 * 1024;

/**
 * Runs `upload-server migrate`; resolves the exit code: 0 all copied (and switched when asked), 1 some copies failed
 * or the switch was refused, 64 a bad `--to`, 69 the target cannot be written, 78 bad target options, 130 stopped.
 */
export async function migrate(
  options: ReturnType<typeof parseMigrateArgs>,
  config: UploadServerConfig,
  io: MigrateIo,
): Promise<number> {
  const say = (line: string) => io.err.write(`${line}\n`);
  let spec: TargetSpec;
  try {
    spec = parseTarget(options.to, io.cwd);
  } catch (error) {
    if (!(error instanceof TargetError)) throw error;
    say(error.message);
    return 64;
  }
  if (targetId(spec) === targetId(config.provider)) {
    say('--to names the provider the server already uses: give the new one');
    return 64;
  }
  let target: UploadProvider;
  try {
    target = await createTarget(spec, config, io.cwd);
  } catch (error) {
    if (isProviderError(error, 'INVALID_OPTIONS', 'PROVIDER_NOT_FOUND')) {
      say(`Invalid target provider "${spec.name}": ${error.message}`);
      return 78;
    }
    throw error;
  }
  const source = await createProvider(config, io.cwd);
  const database = await openDatabase({
    ...(config.database.url ? { url: config.database.url } : {}),
    ...(config.database.schema ? { schema: config.database.schema } : {}),
    poolSize: config.database.poolSize,
    dataDir: config.dataDir,
    cwd: io.cwd,
  });
  try {
    if (!options.dryRun) {
      try {
        await probeTarget(target);
      } catch (error) {
        say(`The target provider "${spec.name}" cannot be written, so nothing was copied: ${(error as Error).message}`);
        return 69;
      }
    }
    const repo = createRepository(database.db, database.dialect);
    const progress = new ObjectMigrations(database.db, targetId(spec));
    const plan = await planCopy(repo, progress, source.name);
    const todo = plan.files - plan.done;
    say(
      `${source.name} → ${spec.name}: ${plan.files} objects (${(plan.bytes / MiB).toFixed(1)} MiB); ` +
        `${plan.done} already copied, ${todo} to copy (${((plan.bytes - plan.doneBytes) / MiB).toFixed(1)} MiB).`,
    );
    const refuseSwitch = (left: number) =>
      say(`Refusing to --switch: ${left} objects are not copied yet; the rows still point at "${source.name}".`);
    if (options.dryRun) {
      if (options.switch && todo > 0) {
        refuseSwitch(todo);
        return 1;
      }
      return 0;
    }

    const outcome = await runCopy(
      {
        repo,
        progress,
        source,
        target,
        concurrency: options.concurrency,
        stop: io.stop,
        reporter: createReporter(io.err, options.intervalMs),
      },
      plan,
    );
    say(`Copied ${outcome.copied} objects (${(outcome.bytes / MiB).toFixed(1)} MiB) in this run.`);
    if (outcome.failed.length > 0) {
      say(`${outcome.failed.length} failed (run the command again to retry them):`);
      for (const f of outcome.failed) say(`  ${f.key}: ${f.error}`);
    }
    if (options.switch && (outcome.interrupted || outcome.failed.length > 0)) refuseSwitch(outcome.left);
    if (outcome.interrupted) {
      say(
        `Stopped: ${outcome.left} objects left. Run the same command again to go on; nothing copied is copied again.`,
      );
      return 130;
    }
    if (outcome.failed.length > 0) return 1;
    if (!options.switch) {
      say('Every object is copied. Run again with --switch to point the files at the new provider.');
      return 0;
    }
    const originals = options.deleteSource ? await sourceRefs(repo, source.name) : [];
    let rows: number;
    try {
      rows = await switchRows(repo, progress, source.name, target);
    } catch (error) {
      if (error instanceof NotCopiedError) {
        refuseSwitch(error.left);
        return 1;
      }
      if (error instanceof RowsChangedError) {
        say(`Refusing to --switch: ${error.message}.`);
        return 1;
      }
      throw error;
    }
    say(`Switched ${rows} files to "${spec.name}" in one transaction.`);
    if (options.deleteSource) {
      const { deleted, failed } = await deleteSources(source, originals, options.concurrency);
      say(`Deleted ${deleted} objects from "${source.name}".`);
      for (const f of failed) say(`  could not delete ${f.key}: ${f.error}`);
    }
    say('Point the server at the new provider (secrets masked: take them from --to) and restart it:');
    io.out.write(`${configToUse(spec)}\n`);
    return 0;
  } finally {
    await database.close();
    await Promise.allSettled([source.close?.(), target.close?.()]);
  }
}
