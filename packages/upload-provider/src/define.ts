import { z } from 'zod';
import { ProviderError } from './errors.js';
import { guardProvider } from './guard.js';
import { normalisePrefix } from './keys.js';
import type { Capabilities, ProviderLimits, UploadProvider } from './types.js';

export interface OptionProblem {
  /** Dotted path of the option, e.g. `credentials.accessKeyId`; `''` for the options object itself. */
  option: string;
  message: string;
}

/** What `create` returns: the contract's methods. `name` and `capabilities` are set by the core's guard. */
export type ProviderMethods = Omit<UploadProvider, 'name' | 'capabilities'> &
  Partial<Pick<UploadProvider, 'name' | 'capabilities'>>;

/** What a factory made by {@link defineProvider} returns: the object `create` made, guarded, named and declared. */
export type DefinedProvider<M extends ProviderMethods, N extends string = string> = M & {
  readonly name: N;
  readonly capabilities: Capabilities;
};

/** A value fixed for the provider, or computed from its validated options. */
export type PerOptions<T, Options> = T | ((options: Options) => T);

export interface ProviderDefinition<Schema extends z.ZodType, M extends ProviderMethods, N extends string = string> {
  /** The provider's short name: `'aws-s3'` for the package `upload-provider-aws-s3`. */
  name: N;
  /** A zod schema for the user's options; defaults and transforms apply before `create` sees them. */
  options: Schema;
  /**
   * What the provider supports, fixed or computed from validated options (without creating anything, so the suite
   * can read it through `capabilitiesFor`). The guard checks it against the methods `create` returns. Omitted, the
   * object `create` returns must carry `capabilities` itself (the older form, still accepted).
   */
  capabilities?: PerOptions<Capabilities, z.output<Schema>>;
  /** What the backend can take; the core refuses what is over it before the provider runs. */
  limits?: PerOptions<ProviderLimits, z.output<Schema>>;
  /**
   * Builds the provider from validated options. Runs no I/O that could fail on a healthy backend. Its methods
   * receive only checked input (see `UploadProvider`), so they need not check keys, sizes, ranges or lifetimes.
   */
  create(options: z.output<Schema>): M;
}

/** A provider factory: call it with the user's options. It throws `INVALID_OPTIONS` naming every bad option. */
export interface ProviderFactory<Input, P extends UploadProvider = UploadProvider> {
  (options: Input): P;
  readonly providerName: string;
  /** Validates options without creating anything; returns every problem (empty when valid). */
  check(options: unknown): OptionProblem[];
  /**
   * The capabilities a provider made with `options` has, without creating it (no I/O). Throws `INVALID_OPTIONS` like
   * the factory. A provider defined without `capabilities` is created to read them, then closed.
   */
  capabilitiesFor(options: Input): Capabilities;
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
 * naming the provider and each option), calls `create`, and puts the core's guard ({@link guardProvider}) in front
 * of the object it returns, with `name`, `capabilities` and `limits` from this definition.
 */
export function defineProvider<Schema extends z.ZodType, M extends ProviderMethods, N extends string = string>(
  definition: ProviderDefinition<Schema, M, N>,
): ProviderFactory<z.input<Schema>, DefinedProvider<M, N>> {
  const parse = (options: unknown) => definition.options.safeParse(options ?? {});
  const validated = (options: unknown): z.output<Schema> => {
    const result = parse(options);
    if (!result.success) throw invalidOptions(definition.name, describeIssues(result.error), result.error);
    return result.data;
  };
  const declared = (o: z.output<Schema>) => resolve(definition.capabilities, o);
  const factory = (options: z.input<Schema>): DefinedProvider<M, N> => {
    const o = validated(options);
    const provider = definition.create(o) as unknown as UploadProvider;
    return guardProvider(provider, {
      name: definition.name,
      capabilities: declared(o) ?? provider?.capabilities,
      limits: resolve(definition.limits, o) ?? {},
    }) as DefinedProvider<M, N>;
  };
  return Object.assign(factory, {
    providerName: definition.name,
    check: (options: unknown) => {
      const result = parse(options);
      return result.success ? [] : describeIssues(result.error);
    },
    capabilitiesFor: (options: z.input<Schema>): Capabilities => {
      const fixed = declared(validated(options));
      if (fixed) return Object.freeze({ ...fixed });
      const made = factory(options);
      void made.close?.().catch(() => undefined);
      return made.capabilities;
    },
  });
}

function resolve<T extends object, O>(value: PerOptions<T, O> | undefined, options: O): T | undefined {
  return typeof value === 'function' ? (value as (o: O) => T)(options) : value;
}

/**
 * A key-prefix option (`prefix`, `folder`): a string that {@link normalisePrefix} accepts, normalised (`'/a/b/'`
 * becomes `'a/b'`, `''` stays empty). `what` names it in the message.
 */
export function prefixOption(what = 'prefix') {
  return z
    .string({ error: `${what} must be a string such as "uploads/2026"` })
    .superRefine((value, ctx) => {
      try {
        normalisePrefix(value);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: `${what} is not a safe key prefix (${(error as Error).message})` });
      }
    })
    .transform((value) => normalisePrefix(value));
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
