import type { UploadProvider } from 'upload-provider';
import type { ServerMetrics } from './registry.js';

// Methods that do I/O and are worth timing; `url`, `isPrivate` and `close` are not.
const MEASURED = new Set(['upload', 'delete', 'signUrl', 'createDirectUpload', 'stat', 'read', 'cleanup']);

/**
 * The provider with each I/O call timed and counted by method and result. Other members (capabilities, methods a
 * later contract adds) pass through unchanged, called on the provider itself.
 */
export function measureProvider(provider: UploadProvider, metrics: ServerMetrics): UploadProvider {
  // Keyed by the function itself: a method replaced on the provider later is wrapped afresh.
  const wrapped = new WeakMap<object, unknown>();
  return new Proxy(provider, {
    get(target, property) {
      const value = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      const cached = wrapped.get(value);
      if (cached) return cached;
      const method = String(property);
      const fn = MEASURED.has(method)
        ? async (...args: unknown[]) => {
            const end = metrics.providerCalls.startTimer({ method });
            try {
              const result = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
              end({ result: 'ok' });
              if (method === 'upload') {
                const size = (result as { size?: unknown } | undefined)?.size;
                if (typeof size === 'number') metrics.uploadedBytes.inc(size);
              }
              return result;
            } catch (error) {
              end({ result: String((error as { code?: unknown })?.code ?? 'ERROR') });
              throw error;
            }
          }
        : (value as (...a: unknown[]) => unknown).bind(target);
      wrapped.set(value, fn);
      return fn;
    },
  });
}
