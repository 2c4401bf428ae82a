import { debuglog } from 'node:util';

const SECRET_NAMES = /secret|password|token|signature|credential|authorization|api_?key|private_?key|policy/i;

/** Replaces the values of secret-looking fields (and URL query parameters) with `[redacted]`, recursively. */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 5) return '[…]';
  if (typeof value === 'string') return redactUrl(value);
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = SECRET_NAMES.test(k) ? '[redacted]' : redact(v, depth + 1);
    return out;
  }
  return value;
}

function redactUrl(s: string): string {
  if (!/^https?:\/\//.test(s) || !s.includes('?')) return s;
  try {
    const u = new URL(s);
    for (const k of [...u.searchParams.keys()]) if (SECRET_NAMES.test(k)) u.searchParams.set(k, '[redacted]');
    return u.toString();
  } catch {
    return s;
  }
}

/**
 * A namespaced debug logger (`NODE_DEBUG=upload-provider:aws-s3`), with secrets redacted from every argument.
 */
export function createDebug(provider: string): (message: string, data?: unknown) => void {
  const log = debuglog(`upload-provider:${provider}`);
  return (message, data) => {
    if (!log.enabled) return;
    if (data === undefined) log(message);
    else log('%s %j', message, redact(data));
  };
}
