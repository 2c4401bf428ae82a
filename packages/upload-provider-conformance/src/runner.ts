import { randomBytes } from 'node:crypto';
import { type Capabilities, isProviderError, type UploadProvider } from 'upload-provider';
import { type Plan, planCases } from './cases/index.js';
import { retryingFetch } from './fetch.js';
import type { CaseContext, ConformanceCase, ConformanceOptions } from './options.js';

export interface CaseResult {
  group: string;
  name: string;
  ok: boolean;
  error?: unknown;
}

/** What the cases are chosen from. */
export interface DeclaredShape {
  capabilities: Capabilities;
  isPrivate: boolean;
}

/** A fresh provider: `create()`, or `factory(options)` when no `create` is given. */
export function makeProvider<P extends UploadProvider>(options: ConformanceOptions<P>): P | Promise<P> {
  if (options.create) return options.create();
  return (options.factory as unknown as (o: unknown) => P)(options.options);
}

/** Capabilities from `options.capabilities`, else from `factory.capabilitiesFor(options)` when the factory has it. */
function statedCapabilities(options: ConformanceOptions<UploadProvider> | ConformanceOptions<never>) {
  if (options.capabilities) return { ...options.capabilities };
  if (options.factory?.capabilitiesFor && 'options' in options) return options.factory.capabilitiesFor(options.options);
  return undefined;
}

/**
 * The shape known without I/O, for runners that register tests synchronously: stated capabilities and privacy,
 * else a provider made now (and cleaned up). Throws, saying what to pass, when that provider cannot be made now.
 */
export function declaredShape<P extends UploadProvider>(options: ConformanceOptions<P>): DeclaredShape {
  validateOptions(options);
  const capabilities = statedCapabilities(options);
  if (capabilities && options.private !== undefined) return { capabilities, isPrivate: options.private };
  let provider: P | Promise<P>;
  try {
    provider = makeProvider(options);
  } catch (error) {
    throw new Error(
      `describeProviderConformance: create() failed while the tests were being registered (${
        isProviderError(error) ? error.message : String(error)
      }). If it needs something started in setup/beforeAll, pass \`capabilities\` (or \`factory\` with \`options\`) and \`private\`.`,
      { cause: error },
    );
  }
  if (provider instanceof Promise) {
    provider.catch(() => undefined);
    throw new Error(
      'describeProviderConformance: create() is asynchronous, so pass `capabilities` (or `factory` with `options`) and `private` (they are checked against the provider when the cases run).',
    );
  }
  const shape = {
    capabilities: capabilities ?? { ...provider.capabilities },
    isPrivate: options.private ?? provider.isPrivate(),
  };
  void Promise.resolve(options.cleanup?.(provider)).catch(() => undefined);
  return shape;
}

/** Capabilities and privacy of the provider: stated ones, else read from one instance made now. */
export async function inspectProvider<P extends UploadProvider>(
  options: ConformanceOptions<P>,
): Promise<DeclaredShape> {
  const capabilities = statedCapabilities(options);
  if (capabilities && options.private !== undefined) return { capabilities, isPrivate: options.private };
  const probe = await makeProvider(options);
  try {
    return {
      capabilities: capabilities ?? { ...probe.capabilities },
      isPrivate: options.private ?? probe.isPrivate(),
    };
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
  const provider = await makeProvider(options);
  const tracked: Array<{ key: string; providerMetadata?: Record<string, unknown> | null }> = [];
  const run = randomBytes(6).toString('hex');
  let n = 0;
  const prefix = options.keyPrefix ?? 'conformance';
  const ctx: CaseContext<P> = {
    provider,
    options,
    fetch: retryingFetch(options.fetch ?? globalThis.fetch),
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

/** Every case that applies to a provider of this shape, and every one left out with the reason. */
export function planConformance<P extends UploadProvider>(
  options: ConformanceOptions<P>,
  capabilities: Capabilities,
  isPrivate: boolean,
): Plan {
  validateOptions(options);
  return planCases(options as ConformanceOptions<UploadProvider>, capabilities, isPrivate);
}

/** The cases that apply to a provider with these capabilities (and what its backend enforces). */
export function casesFor<P extends UploadProvider>(
  options: ConformanceOptions<P>,
  capabilities: Capabilities,
  isPrivate: boolean,
): ConformanceCase<P>[] {
  return planConformance(options, capabilities, isPrivate).cases as ConformanceCase<P>[];
}

/** The cases that apply to this provider, reading its capabilities from a fresh instance. */
export async function selectCases<P extends UploadProvider>(
  options: ConformanceOptions<P>,
): Promise<ConformanceCase<P>[]> {
  const { capabilities, isPrivate } = await inspectProvider(options);
  return casesFor(options, capabilities, isPrivate);
}

/**
 * Runs every applicable case without a test runner (between `setup` and `teardown`) and reports each result; cases
 * that do not apply are not in the list.
 */
export async function runConformance<P extends UploadProvider>(options: ConformanceOptions<P>): Promise<CaseResult[]> {
  validateOptions(options);
  await options.setup?.();
  try {
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
  } finally {
    await options.teardown?.();
  }
}

function validateOptions(options: ConformanceOptions<UploadProvider> | ConformanceOptions<never>): void {
  if (typeof options.create !== 'function' && !(typeof options.factory === 'function' && 'options' in options))
    throw new TypeError('the conformance suite needs a `create` function, or a `factory` with its `options`');
  if (options.enforces?.signedUrls === false && typeof options.verifySignedUrl !== 'function') {
    throw new TypeError(
      'enforces.signedUrls is false, so the suite needs `verifySignedUrl(url, now)` to check signatures',
    );
  }
}
