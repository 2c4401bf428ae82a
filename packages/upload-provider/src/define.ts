import { z } from 'zod';
import { ProviderError } from './errors.js';
import type { UploadProvider } from './types.js';

export interface OptionProblem {
  /** Dotted path of the option, e.g. `credentials.accessKeyId`; `''` for the options object itself. */
  option: string;
  message: string;
}

export interface ProviderDefinition<Schema extends z.ZodType, P extends UploadProvider> {
  /** The provider's short name: `'aws-s3'` for the package `upload-provider-aws-s3`. */
  name: string;
  /** A zod schema for the user's options; defaults and transforms apply before `create` sees them. */
  options: Schema;
  /** Builds the provider from validated options. Runs no I/O that could fail on a healthy backend. */
  create(options: z.output<Schema>): P;
}

/** A provider factory: call it with the user's options. It throws `INVALID_OPTIONS` naming every bad option. */
export interface ProviderFactory<Input, P extends UploadProvider = UploadProvider> {
  (options: Input): P;
  readonly providerName: string;
  /** Validates options without creating anything; returns every problem (empty when valid). */
  check(options: unknown): OptionProblem[];
}

/** Every problem a zod error holds, one per option. */
export function describeIssues(error: z.ZodError): OptionProblem[] {
  return error.issues.map((issue) => ({
    option: issue.path.map(String).join('.'),
    message: issue.message,
  }));
}

/** The one `INVALID_OPTIONS` error for a list of problems, naming the provider and each option. */
export function invalidOptions(provider: string, problems: OptionProblem[], cause?: unknown): ProviderError {
  const list = problems.map((p) => `${p.option || '(options)'}: ${p.message}`).join('; ');
  return new ProviderError('INVALID_OPTIONS', `invalid options: ${list}`, {
    provider,
    cause,
    details: { problems },
  });
}

/**
 * Declares a provider: a factory that validates the user's options with `options` (reporting every problem at once,
 * naming the provider and each option) and then calls `create`.
 */
export function defineProvider<Schema extends z.ZodType, P extends UploadProvider>(
  definition: ProviderDefinition<Schema, P>,
): ProviderFactory<z.input<Schema>, P> {
  const parse = (options: unknown) => definition.options.safeParse(options ?? {});
  const factory = (options: z.input<Schema>): P => {
    const result = parse(options);
    if (!result.success) throw invalidOptions(definition.name, describeIssues(result.error), result.error);
    return definition.create(result.data);
  };
  return Object.assign(factory, {
    providerName: definition.name,
    check: (options: unknown) => {
      const result = parse(options);
      return result.success ? [] : describeIssues(result.error);
    },
  });
}

/** An option that must be an absolute http(s) URL; `what` names it in the message. */
export function httpUrlOption(what: string) {
  const message = `${what} must be an absolute http(s) URL`;
  return z.string({ error: message }).refine((v) => {
    try {
      const u = new URL(v);
      return u.protocol === 'http:' || u.protocol === 'https:';
    } catch {
      return false;
    }
  }, message);
}

/** A whole-number option within `[min, max]`, whose messages name it and its unit (`partSize`, `bytes`). */
export function integerOption(what: string, min: number, max: number, unit: string) {
  return z
    .number({ error: `${what} must be a number of ${unit}` })
    .int(`${what} must be a whole number of ${unit}`)
    .min(min, `${what} must be at least ${min} ${unit}`)
    .max(max, `${what} must be at most ${max} ${unit}`);
}

export { z };
