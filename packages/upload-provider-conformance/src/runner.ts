import { randomBytes } from 'node:crypto';
import type { Capabilities, UploadProvider } from 'upload-provider';
import { conformanceCases } from './cases.js';
import type { CaseContext, ConformanceCase, ConformanceOptions } from './options.js';

export interface CaseResult {
  group: string;
  name: string;
  ok: boolean;
  error?: unknown;
}

/** Capabilities and privacy of the provider, read from one instance made up front. */
export async function inspectProvider<P extends UploadProvider>(options: ConformanceOptions<P>) {
  const probe = await options.create();
  try {
    return { capabilities: { ...probe.capabilities }, isPrivate: probe.isPrivate() };
  } finally {
    await options.cleanup?.(probe);
  }
}

/**
 * Runs one case with a fresh provider and random keys, then deletes what it stored through the provider's own
 * `delete` and calls `cleanup`. Rejects with the case's failure.
 */
export async function runCase<P extends UploadProvider>(
  options: ConformanceOptions<P>,
  c: ConformanceCase<P>,
): Promise<void> {
  const provider = await options.create();
  const tracked: Array<{ key: string; providerMetadata?: Record<string, unknown> | null }> = [];
  const run = randomBytes(6).toString('hex');
  let n = 0;
  const prefix = options.keyPrefix ?? 'conformance';
  const ctx: CaseContext<P> = {
    provider,
    options,
    fetch: options.fetch ?? globalThis.fetch,
    key: (name = 'file.bin') => `${prefix}/${run}-${++n}/${name}`,
    track: (key, providerMetadata) => {
      tracked.push({ key, providerMetadata: providerMetadata ?? null });
    },
  };
  try {
    await c.run(ctx);
  } finally {
    for (const ref of tracked) {
      try {
        await provider.delete(ref);
      } catch {
        // Clean-up is best effort; the case's own result is what counts.
      }
    }
    await options.cleanup?.(provider);
  }
}

/** The cases that apply to a provider with these capabilities (and what its backend enforces). */
export function casesFor<P extends UploadProvider>(
  options: ConformanceOptions<P>,
  capabilities: Capabilities,
  isPrivate: boolean,
): ConformanceCase<P>[] {
  validateOptions(options);
  return conformanceCases(options as ConformanceOptions<UploadProvider>, capabilities, isPrivate, {
    capabilities,
    isPrivate,
  }) as ConformanceCase<P>[];
}

/** The cases that apply to this provider, reading its capabilities from a fresh instance. */
export async function selectCases<P extends UploadProvider>(
  options: ConformanceOptions<P>,
): Promise<ConformanceCase<P>[]> {
  const { capabilities, isPrivate } = await inspectProvider(options);
  return casesFor(options, capabilities, isPrivate);
}

/** Runs every applicable case without a test runner and reports each result (used to prove the suite can fail). */
export async function runConformance<P extends UploadProvider>(options: ConformanceOptions<P>): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  for (const c of await selectCases(options)) {
    try {
      await runCase(options, c);
      results.push({ group: c.group, name: c.name, ok: true });
    } catch (error) {
      results.push({ group: c.group, name: c.name, ok: false, error });
    }
  }
  return results;
}

function validateOptions(options: ConformanceOptions<UploadProvider> | ConformanceOptions<never>): void {
  if (typeof options.create !== 'function')
    throw new TypeError('describeProviderConformance needs a `create` function');
  if (options.enforces?.signedUrls === false && typeof options.verifySignedUrl !== 'function') {
    throw new TypeError(
      'enforces.signedUrls is false, so the suite needs `verifySignedUrl(url, now)` to check signatures',
    );
  }
}
