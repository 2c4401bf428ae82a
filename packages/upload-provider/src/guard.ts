import { Readable } from 'node:stream';
import {
  type CheckContext,
  checkDirectUploadRequest,
  checkDisposition,
  checkHeaderText,
  checkKey,
  checkMetadata,
  checkMime,
  checkName,
  checkRange,
  checkRef,
  checkSignOptions,
  checkSize,
  invalidInput,
} from './checks.js';
import { isProviderError, ProviderError } from './errors.js';
import { assertDeclaredSize, guardBody } from './streams.js';
import type { Capabilities, ProviderFile, ProviderLimits, UploadProvider } from './types.js';

export interface GuardOptions {
  /** What the backend can take; the guard refuses what is over it before the provider runs. */
  limits?: ProviderLimits;
  /** The provider's name, when the object's own `name` is not the one to use. */
  name?: string;
  /** The capabilities, when the object's own `capabilities` are not the ones to use. */
  capabilities?: Capabilities;
}

const REQUIRED_METHODS = ['upload', 'delete', 'isPrivate', 'url', 'signUrl'] as const;
/** Each optional method and the capability that promises it. */
const OPTIONAL_METHODS = [
  ['read', 'read'],
  ['stat', 'stat'],
  ['directUpload', 'createDirectUpload'],
] as const;
const CAPABILITY_NAMES = ['read', 'rangeRead', 'stat', 'directUpload', 'downloadName', 'contentType', 'unknownSize'];

const guarded = new WeakSet<object>();
// The UNSUPPORTED stand-ins the guard installs; they do not count as methods the provider wrote.
const unsupported = new WeakSet<object>();

type Method = (...args: never[]) => unknown;
type Target = Record<string, unknown>;

/** True when `provider` already went through {@link guardProvider} (or {@link defineProvider}). */
export function isGuarded(provider: unknown): boolean {
  return typeof provider === 'object' && provider !== null && guarded.has(provider);
}

/**
 * Puts the core's guard in front of every method of `provider` (see `UploadProvider` for what it guarantees) and
 * returns it. The object is guarded in place, so anything keyed on its identity keeps working; a frozen object is
 * copied instead. Guarding twice changes nothing. `defineProvider` calls this on what `create` returns; call it
 * yourself for a provider object made another way.
 *
 * Throws `INTERNAL`, for the provider's author, when the object lacks a required method, or its capabilities and
 * methods disagree (a capability without its method, or a method whose capability is false).
 */
export function guardProvider<P extends UploadProvider>(provider: P, options: GuardOptions = {}): P {
  if (isGuarded(provider)) return provider;
  const source = provider as unknown as Target;
  const name = options.name ?? provider?.name;
  if (typeof name !== 'string' || name === '') {
    throw new ProviderError('INTERNAL', 'a provider needs a non-empty name (defineProvider sets it from `name`)');
  }
  const capabilities = options.capabilities ?? provider.capabilities;
  const problems = authoringProblems(source, capabilities);
  if (problems.length > 0) {
    throw new ProviderError('INTERNAL', `the provider is not written to the contract: ${problems.join('; ')}`, {
      provider: name,
      details: { problems },
    });
  }
  const target: Target = Object.isExtensible(source) && !Object.isFrozen(source) ? source : copyOf(source);
  // The provider's own methods, taken before the guarded ones replace them on the same object.
  const own = new Map<string, Method>();
  for (const method of [...REQUIRED_METHODS, 'read', 'stat', 'createDirectUpload', 'close', 'cleanup']) {
    if (typeof source[method] === 'function') own.set(method, source[method] as Method);
  }
  const raw = (method: string) => own.get(method);
  const ctx: CheckContext = {
    provider: name,
    limits: options.limits ?? {},
    emptyFiles: capabilities.emptyFiles !== false,
  };
  let closed = false;

  const fail = (method: string, error: unknown, signal?: AbortSignal): ProviderError => {
    if (isProviderError(error)) return error;
    if (signal?.aborted) {
      return new ProviderError('ABORTED', `${method}() was aborted`, { provider: name, cause: error });
    }
    const what = error instanceof Error ? error.message : String(error);
    return new ProviderError('INTERNAL', `${method}() failed: ${what}`, {
      provider: name,
      cause: error,
      details: { method },
    });
  };
  /** Runs an async method: refused after close, every failure a ProviderError. */
  const run = async <T>(method: string, work: () => T | Promise<T>, signal?: AbortSignal): Promise<T> => {
    if (closed) {
      throw new ProviderError('INTERNAL', `${method}() was called after close(): create a new provider`, {
        provider: name,
        details: { method },
      });
    }
    try {
      return await work();
    } catch (error) {
      throw fail(method, error, signal);
    }
  };
  const call = (method: string, ...args: unknown[]) =>
    (raw(method) as (...a: unknown[]) => unknown).apply(source, args);

  const methods: Target = {
    upload: (file: ProviderFile, opts: { signal?: AbortSignal } = {}) =>
      run(
        'upload',
        async () => {
          if (opts?.signal?.aborted) {
            throw new ProviderError('ABORTED', 'upload() was aborted before it started', { provider: name });
          }
          const checked = checkFile(ctx, file);
          try {
            return await call('upload', checked, opts);
          } catch (error) {
            // Whatever the provider left unread is not read any further (this destroys the caller's stream too).
            if (checked.body instanceof Readable && !checked.body.destroyed) checked.body.destroy();
            throw error;
          }
        },
        opts?.signal,
      ),
    delete: (ref: never) => run('delete', () => call('delete', checkRef(ctx, ref))),
    isPrivate: () => sync('isPrivate', () => call('isPrivate')),
    url: (ref: never) => sync('url', () => call('url', checkRef(ctx, ref))),
    signUrl: (ref: never, opts: Record<string, unknown> = {}) =>
      run('signUrl', () => {
        const checked = checkRef(ctx, ref);
        checkSignOptions(ctx, opts ?? {});
        return call('signUrl', checked, opts);
      }),
    close: async () => {
      if (closed) return;
      closed = true;
      const close = raw('close');
      if (!close) return;
      try {
        await close.apply(source, []);
      } catch (error) {
        throw fail('close', error);
      }
    },
  };
  const optional: Target = {
    read: (ref: never, range: never) =>
      run('read', () => {
        const checked = checkRef(ctx, ref);
        checkRange(ctx, range);
        return call('read', checked, range);
      }),
    stat: (ref: never) => run('stat', () => call('stat', checkRef(ctx, ref))),
    createDirectUpload: (req: Record<string, unknown>) =>
      run('createDirectUpload', () => {
        if (typeof req !== 'object' || req === null) {
          throw invalidInput(name, 'a direct-upload request must be an object { key, mime, maxSize, ... }');
        }
        const key = checkKey(ctx, req.key);
        checkDirectUploadRequest(ctx, req as never);
        return call('createDirectUpload', { ...req, key });
      }),
  };
  const standIns: Target = {};
  for (const [capability, method] of OPTIONAL_METHODS) {
    if (capabilities[capability]) methods[method] = optional[method];
    else standIns[method] = standIn(method, capability);
  }
  if (capabilities.resumable === true) methods.resumable = guardSessions(ctx, source.resumable as Target, run);
  if (raw('cleanup')) {
    methods.cleanup = (opts: { olderThan?: unknown }) =>
      run('cleanup', () => {
        const olderThan = opts?.olderThan;
        if (!(olderThan instanceof Date) || Number.isNaN(olderThan.getTime())) {
          throw invalidInput(name, 'cleanup needs { olderThan: Date }, a valid date');
        }
        return call('cleanup', opts);
      });
  }

  function sync<T>(method: string, work: () => T): T {
    try {
      return work();
    } catch (error) {
      throw fail(method, error);
    }
  }
  function standIn(method: string, capability: string): Method {
    const stub = () =>
      run(method, () => {
        throw new ProviderError('UNSUPPORTED', `${method}() is not supported: capabilities.${capability} is false`, {
          provider: name,
        });
      });
    unsupported.add(stub);
    return stub;
  }

  for (const [key, value] of Object.entries(methods)) define(target, key, value);
  // Not enumerable: a copy (`{ ...provider }`) carries only what the provider declares.
  for (const [key, value] of Object.entries(standIns)) define(target, key, value, false);
  define(target, 'name', name);
  define(target, 'capabilities', Object.freeze({ ...capabilities }));
  guarded.add(target);
  return target as unknown as P;
}

/** What the author must fix: missing methods, capabilities that are not booleans, capabilities without methods. */
function authoringProblems(provider: Target, capabilities: Capabilities | undefined): string[] {
  if (typeof provider !== 'object' || provider === null) return ['it is not an object'];
  const problems: string[] = [];
  for (const method of REQUIRED_METHODS) {
    if (typeof provider[method] !== 'function') problems.push(`it lacks ${method}()`);
  }
  if (typeof capabilities !== 'object' || capabilities === null) return [...problems, 'it declares no capabilities'];
  for (const capability of CAPABILITY_NAMES) {
    const value = (capabilities as unknown as Record<string, unknown>)[capability];
    if (typeof value !== 'boolean') problems.push(`capabilities.${capability} must be true or false`);
  }
  for (const [capability, method] of OPTIONAL_METHODS) {
    const present = typeof provider[method] === 'function' && !unsupported.has(provider[method] as object);
    if (capabilities[capability] && !present)
      problems.push(`capabilities.${capability} is true but ${method}() is missing`);
    if (!capabilities[capability] && present) {
      problems.push(
        `${method}() is there but capabilities.${capability} is false: declare it, or leave the method out`,
      );
    }
  }
  if (capabilities.rangeRead && !capabilities.read) problems.push('capabilities.rangeRead needs capabilities.read');
  const sessions = provider.resumable as Target | undefined;
  if (capabilities.resumable === true) {
    for (const method of SESSION_METHODS) {
      if (typeof sessions?.[method] !== 'function') {
        problems.push(`capabilities.resumable is true but resumable.${method}() is missing`);
      }
    }
  } else if (sessions !== undefined) {
    problems.push('resumable is there but capabilities.resumable is not true: declare it, or leave it out');
  }
  return problems;
}

const SESSION_METHODS = ['create', 'append', 'complete', 'abort'] as const;

/** The session methods behind the same checks as the rest: a key, a state object, whole-byte offsets and sizes. */
function guardSessions(
  ctx: CheckContext,
  sessions: Target,
  run: <T>(method: string, work: () => T | Promise<T>, signal?: AbortSignal) => Promise<T>,
): Target {
  const call = (method: string, ...args: unknown[]) => (sessions[method] as Method).apply(sessions, args as never[]);
  const session = (value: unknown) => {
    if (typeof value !== 'object' || value === null) {
      throw invalidInput(ctx.provider, 'a resumable session must be an object { key, state }');
    }
    const { key, state } = value as { key?: unknown; state?: unknown };
    if (typeof state !== 'object' || state === null || Array.isArray(state)) {
      throw invalidInput(ctx.provider, 'a resumable session needs the "state" object its last call returned');
    }
    return { key: checkKey(ctx, key), state };
  };
  const wholeBytes = (what: string, value: unknown) => {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
      throw invalidInput(ctx.provider, `${what} must be a whole number of bytes, got ${String(value)}`);
    }
  };
  return {
    create: (req: Record<string, unknown>) =>
      run('resumable.create', () => {
        if (typeof req !== 'object' || req === null) {
          throw invalidInput(ctx.provider, 'a resumable request must be an object { key, mime, name, size? }');
        }
        const key = checkKey(ctx, req.key);
        checkMime(ctx, req.mime);
        checkName(ctx, 'name', req.name);
        checkSize(ctx, req.size as number | undefined);
        checkDisposition(ctx, req.disposition);
        return call('create', { ...req, key });
      }),
    append: (value: unknown, body: unknown, opts: { offset?: unknown; signal?: AbortSignal }) =>
      run(
        'resumable.append',
        () => {
          const checked = session(value);
          if (!(body instanceof Readable)) throw invalidInput(ctx.provider, 'body must be a Readable stream');
          wholeBytes('offset', opts?.offset);
          if (opts.signal?.aborted) {
            throw new ProviderError('ABORTED', 'resumable.append() was aborted before it started', {
              provider: ctx.provider,
            });
          }
          return call('append', checked, body, opts);
        },
        opts?.signal,
      ),
    complete: (value: unknown, opts: { size?: unknown }) =>
      run('resumable.complete', () => {
        const checked = session(value);
        wholeBytes('size', opts?.size);
        checkSize(ctx, opts.size as number);
        return call('complete', checked, opts);
      }),
    abort: (value: unknown) => run('resumable.abort', () => call('abort', session(value))),
  };
}

/** The file as the provider receives it: checked, its key normalised, a stream body behind the size guard. */
function checkFile(ctx: CheckContext, file: ProviderFile): ProviderFile {
  if (typeof file !== 'object' || file === null) {
    throw invalidInput(ctx.provider, 'a file must be an object { key, body, mime, name, size? }');
  }
  const key = checkKey(ctx, file.key);
  checkMime(ctx, file.mime);
  checkName(ctx, 'name', file.name);
  checkDisposition(ctx, file.disposition);
  checkHeaderText(ctx, 'cacheControl', file.cacheControl);
  checkMetadata(ctx, file.metadata);
  checkSize(ctx, file.size);
  if (file.body instanceof Uint8Array) {
    assertDeclaredSize(file.body.byteLength, file.size, ctx.provider);
    checkSize(ctx, file.body.byteLength);
    return { ...file, key };
  }
  if (!(file.body instanceof Readable)) {
    throw invalidInput(ctx.provider, 'body must be a Readable stream or a Uint8Array');
  }
  const body = guardBody(file.body, {
    declared: file.size,
    limit: ctx.limits.maxObjectSize,
    allowEmpty: ctx.emptyFiles,
    provider: ctx.provider,
  });
  return { ...file, key, body };
}

function define(target: Target, key: string, value: unknown, enumerable = true): void {
  Object.defineProperty(target, key, { value, writable: true, enumerable, configurable: true });
}

function copyOf(source: Target): Target {
  const copy = Object.create(Object.getPrototypeOf(source)) as Target;
  for (const key of Reflect.ownKeys(source))
    (copy as Record<PropertyKey, unknown>)[key] = (source as Record<PropertyKey, unknown>)[key];
  return copy;
}
