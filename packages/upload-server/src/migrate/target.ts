import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { redact, type UploadProvider } from 'upload-provider';
import type { UploadServerConfig } from '../config/schema.js';
import { createProvider } from '../provider.js';

export interface TargetSpec {
  name: string;
  options: Record<string, unknown>;
}

/** A user mistake in `--to`: the message says what to change. */
export class TargetError extends Error {
  override readonly name = 'TargetError';
}

function asSpec(value: unknown, from: string): TargetSpec {
  if (typeof value === 'string' && value !== '') return { name: value, options: {} };
  const v = value as { name?: unknown; options?: unknown; provider?: unknown } | null;
  // A whole server config (`{ "provider": … }`) is accepted too, so the printed config can be fed back.
  if (v && typeof v === 'object' && v.provider !== undefined) return asSpec(v.provider, from);
  if (!v || typeof v !== 'object' || typeof v.name !== 'string' || v.name === '') {
    throw new TargetError(`--to ${from}: give a provider name, or JSON like {"name":"aws-s3","options":{…}}`);
  }
  if (v.options !== undefined && (typeof v.options !== 'object' || v.options === null || Array.isArray(v.options))) {
    throw new TargetError(`--to ${from}: "options" must be an object`);
  }
  return { name: v.name, options: (v.options as Record<string, unknown> | undefined) ?? {} };
}

/** `--to`: a provider name (`aws-s3`), inline JSON, or a JSON file holding either a provider or a server config. */
export function parseTarget(to: string, cwd: string): TargetSpec {
  const text = to.trim();
  if (text.startsWith('{')) {
    try {
      return asSpec(JSON.parse(text), 'JSON');
    } catch (error) {
      if (error instanceof TargetError) throw error;
      throw new TargetError(`--to: the JSON does not parse: ${(error as Error).message}`);
    }
  }
  const file = resolve(cwd, text);
  if (text.endsWith('.json') || (existsSync(file) && /[/\\]/.test(text))) {
    if (!existsSync(file)) throw new TargetError(`--to: no file at ${file}`);
    try {
      return asSpec(JSON.parse(readFileSync(file, 'utf8')), file);
    } catch (error) {
      if (error instanceof TargetError) throw error;
      throw new TargetError(`--to ${file}: not valid JSON: ${(error as Error).message}`);
    }
  }
  return { name: text, options: {} };
}

/**
 * A short fingerprint of a target's config: progress is kept per target. Secrets are left out, so rotating the
 * target's credentials mid-way resumes the same migration.
 */
export function targetId(spec: TargetSpec): string {
  const canonical = (v: unknown): unknown =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.keys(v as object)
            .sort()
            .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
        )
      : v;
  const digest = createHash('sha256')
    .update(JSON.stringify(canonical(redact(spec))))
    .digest('hex')
    .slice(0, 16);
  return `${spec.name}:${digest}`;
}

/**
 * The target provider, made the way the server would make it under `config` with this provider (the local one gets
 * the server's defaults). Throws the provider's own `INVALID_OPTIONS`/`PROVIDER_NOT_FOUND`.
 */
export function createTarget(spec: TargetSpec, config: UploadServerConfig, cwd: string): Promise<UploadProvider> {
  return createProvider({ ...config, provider: spec }, cwd);
}

/**
 * Writes and removes one small object, so an unreachable or refusing target is found before anything is copied.
 * Resolves, or rejects with the provider's error.
 */
export async function probeTarget(target: UploadProvider): Promise<void> {
  const key = `upload-server-migrate-probe/${randomBytes(8).toString('hex')}.txt`;
  const stored = await target.upload({ key, body: Buffer.from('probe'), mime: 'text/plain', name: 'probe.txt' });
  await target.delete(stored);
}

/** The config to give the server after `--switch`, with secrets masked. */
export function configToUse(spec: TargetSpec): string {
  return JSON.stringify({ provider: { name: spec.name, options: redact(spec.options) } }, null, 2);
}
