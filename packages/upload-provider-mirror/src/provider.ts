import { pipeline } from 'node:stream';
import {
  type Capabilities,
  createDebug,
  defineProvider,
  invalidOptions,
  isProviderError,
  ProviderError,
  type ProviderFile,
  type StoredFile,
  type StoredRef,
  toProviderError,
  type UploadOptions,
  type UploadProvider,
} from 'upload-provider';
import { FanOut } from './fan-out.js';
import { mirrorOptionsSchema, type ResolvedMirrorOptions } from './options.js';
import { combineMetadata, mirrorRef, primaryRef } from './refs.js';
import { type RepairResult, repairFromLog } from './repair.js';
import { RepairLog, type RepairRecord } from './repair-log.js';
import { capabilitiesOfSpec, createFromSpec } from './specs.js';

export const PROVIDER_NAME = 'mirror';

export interface MirrorProvider extends UploadProvider {
  /** The provider reads, URLs and direct uploads come from. */
  readonly primary: UploadProvider;
  readonly mirrors: readonly UploadProvider[];
  readonly mode: 'strict' | 'best-effort';
  /**
   * Best-effort mode: copies every object whose mirror write failed from the primary to that mirror again (and
   * repeats failed mirror deletes), removing each record that succeeds; what fails again stays for the next run.
   * Rejects with `UNSUPPORTED` in strict mode, which records nothing.
   */
  repair(): Promise<RepairResult>;
  close(): Promise<void>;
}

/**
 * What the mirror can do: whatever the primary serves, since reads, URLs and direct uploads come from it; uploads of
 * unknown size and empty files only when every provider takes them, since every upload goes to all.
 */
export function mirrorCapabilities(primary: Capabilities, mirrors: readonly Capabilities[]): Capabilities {
  const all = [primary, ...mirrors];
  return Object.freeze({
    read: primary.read,
    rangeRead: primary.rangeRead,
    stat: primary.stat,
    directUpload: primary.directUpload,
    downloadName: primary.downloadName,
    contentType: primary.contentType,
    unknownSize: all.every((c) => c.unknownSize),
    emptyFiles: all.every((c) => c.emptyFiles !== false),
  });
}

function createMirrorProvider(options: ResolvedMirrorOptions): MirrorProvider {
  const debug = createDebug(PROVIDER_NAME);
  const cwd = options.cwd ?? process.cwd();
  const primary = createFromSpec(options.primary, 'primary', cwd);
  const mirrors = options.mirrors.map((m, i) => createFromSpec(m, `mirrors.${i}`, cwd));
  const all = [primary, ...mirrors];
  const bestEffort = options.mode === 'best-effort';
  if (bestEffort && !primary.capabilities.read) {
    throw invalidOptions(PROVIDER_NAME, [
      {
        option: 'mode',
        message: `best-effort mode repairs mirrors by reading the primary, and ${primary.name} cannot read`,
      },
    ]);
  }
  const log = options.repairLog ? new RepairLog(options.repairLog) : null;
  const refFor = (ref: StoredRef, i: number) => (i === 0 ? primaryRef(ref) : mirrorRef(ref, i - 1));

  async function upload(file: ProviderFile, opts: UploadOptions = {}): Promise<StoredFile> {
    const stop = new AbortController();
    const signal = opts.signal ? AbortSignal.any([opts.signal, stop.signal]) : stop.signal;
    const fan = file.body instanceof Uint8Array ? null : new FanOut(all.length);
    // Bytes already in memory are shared; a stream is read once and fed to every provider at the slowest one's pace.
    if (fan) pipeline(file.body as NodeJS.ReadableStream, fan, () => {});
    let cause: unknown;
    const results = await Promise.allSettled(
      all.map((provider, i) =>
        provider.upload({ ...file, body: fan ? fan.output(i) : file.body }, { signal }).catch((error: unknown) => {
          fan?.detach(i, error instanceof Error ? error : undefined);
          const fatal = i === 0 || !bestEffort;
          if (fatal && cause === undefined && !stop.signal.aborted) {
            cause = error;
            stop.abort();
            fan?.destroy();
          }
          throw error;
        }),
      ),
    );
    const stored = results.map((r) => (r.status === 'fulfilled' ? r.value : null));
    if (cause !== undefined || opts.signal?.aborted) {
      // Nothing may stay behind: remove what the providers that finished stored.
      await Promise.allSettled(stored.map((s, i) => (s ? all[i]!.delete(s) : undefined)));
      if (opts.signal?.aborted && cause === undefined) {
        throw new ProviderError('ABORTED', 'the upload was aborted', { provider: PROVIDER_NAME });
      }
      throw toProviderError(cause, 'INTERNAL', 'a provider failed', { provider: PROVIDER_NAME });
    }
    const main = stored[0]!;
    const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [{ i, reason: r.reason as unknown }] : []));
    if (failed.length > 0) {
      debug('mirror writes failed; recorded for repair', { key: main.key, failed: failed.map((f) => all[f.i]!.name) });
      await recordOrUndo(stored, () =>
        log!.append(
          failed.map(({ i, reason }) => ({
            op: 'upload',
            mirror: i - 1,
            provider: all[i]!.name,
            ref: { key: main.key, providerMetadata: main.providerMetadata ?? null },
            mime: file.mime,
            name: file.name,
            ...(file.disposition ? { disposition: file.disposition } : {}),
            ...(file.cacheControl ? { cacheControl: file.cacheControl } : {}),
            ...(file.metadata ? { metadata: file.metadata } : {}),
            at: new Date().toISOString(),
            error: describe(reason),
          })),
        ),
      );
    }
    return {
      key: main.key,
      url: main.url,
      size: main.size,
      mime: main.mime,
      ...(main.etag === undefined ? {} : { etag: main.etag }),
      providerMetadata: combineMetadata(main, stored.slice(1)) ?? null,
    };
  }

  /** Writes the repair records; when that fails, a copy would go unrecorded, so the upload is undone instead. */
  async function recordOrUndo(stored: Array<StoredFile | null>, record: () => Promise<void>): Promise<void> {
    try {
      await record();
    } catch (cause) {
      await Promise.allSettled(stored.map((s, i) => (s ? all[i]!.delete(s) : undefined)));
      throw new ProviderError('UNAVAILABLE', `a mirror failed and the repair log cannot be written: ${String(cause)}`, {
        provider: PROVIDER_NAME,
        cause,
      });
    }
  }

  async function remove(ref: StoredRef): Promise<void> {
    const results = await Promise.allSettled(all.map((p, i) => p.delete(refFor(ref, i))));
    const first = results[0]!;
    if (first.status === 'rejected') throw first.reason;
    const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [{ i, reason: r.reason as unknown }] : []));
    if (failed.length === 0) return;
    if (!bestEffort) throw failed[0]!.reason;
    const records: RepairRecord[] = failed.map(({ i, reason }) => ({
      op: 'delete',
      mirror: i - 1,
      provider: all[i]!.name,
      ref: refFor(ref, i),
      at: new Date().toISOString(),
      error: describe(reason),
    }));
    await log!.append(records);
  }

  const provider: MirrorProvider = {
    name: PROVIDER_NAME,
    capabilities: mirrorCapabilities(
      primary.capabilities,
      mirrors.map((m) => m.capabilities),
    ),
    primary,
    mirrors,
    mode: options.mode,
    upload,
    delete: remove,
    isPrivate: () => primary.isPrivate(),
    url: (ref) => primary.url(primaryRef(ref)),
    signUrl: (ref, opts) => primary.signUrl(primaryRef(ref), opts),
    // By capability, not by method: a guarded provider carries UNSUPPORTED stand-ins for what it lacks.
    ...(primary.capabilities.stat ? { stat: (ref: StoredRef) => primary.stat!(primaryRef(ref)) } : {}),
    ...(primary.capabilities.read
      ? {
          read: (ref: StoredRef, range?: Parameters<NonNullable<UploadProvider['read']>>[1]) =>
            primary.read!(primaryRef(ref), range),
        }
      : {}),
    ...(primary.capabilities.directUpload
      ? {
          createDirectUpload: (req: Parameters<NonNullable<UploadProvider['createDirectUpload']>>[0]) =>
            primary.createDirectUpload!(req),
        }
      : {}),
    async repair() {
      if (!log) {
        throw new ProviderError(
          'UNSUPPORTED',
          'repair() is for best-effort mode; strict mode records nothing to repair',
          {
            provider: PROVIDER_NAME,
          },
        );
      }
      return repairFromLog(log, primary, mirrors);
    },
    // Each provider's own leftovers (partial files of a dead process), for the server's sweep.
    ...(all.some((p) => p.cleanup)
      ? {
          async cleanup(opts: { olderThan: Date }) {
            const results = await Promise.all(all.map((p) => p.cleanup?.(opts)));
            return { removed: results.reduce((sum, r) => sum + (r?.removed ?? 0), 0) };
          },
        }
      : {}),
    async close() {
      await Promise.all(all.map((p) => p.close?.()));
    },
  };
  return provider;
}

function describe(error: unknown): string {
  if (isProviderError(error)) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

/**
 * Creates a provider that writes every upload to `primary` and every mirror at once, from one read of the stream,
 * and serves from the primary. Throws `INVALID_OPTIONS` naming every bad option, the sub-providers' own included
 * (`mirrors.0.options.bucket`).
 */
export const mirrorProvider = defineProvider({
  name: PROVIDER_NAME,
  options: mirrorOptionsSchema,
  capabilities: (options) => {
    const cwd = options.cwd ?? process.cwd();
    return mirrorCapabilities(
      capabilitiesOfSpec(options.primary, 'primary', cwd),
      options.mirrors.map((m, i) => capabilitiesOfSpec(m, `mirrors.${i}`, cwd)),
    );
  },
  create: createMirrorProvider,
});
