/**
 * The system and undici error codes that mean the network failed (the connection was refused, reset or timed out,
 * the host could not be resolved or reached): a retry may succeed, so providers map these to `UNAVAILABLE`.
 */
export const NETWORK_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNABORTED',
  'ESOCKETTIMEDOUT',
  'UND_ERR_SOCKET',
]);

/**
 * The network error code (`ECONNRESET`…) of an error, found in its `code` or `errno`, in its message, or in those of
 * the errors it wraps through `cause` (SDKs wrap system errors; at most 3 levels deep). `undefined` when there is none.
 */
export function networkErrorCode(error: unknown, depth = 0): string | undefined {
  if (typeof error !== 'object' || error === null || depth > 3) return undefined;
  const e = error as { code?: unknown; errno?: unknown; cause?: unknown; message?: unknown };
  for (const v of [e.code, e.errno]) if (typeof v === 'string' && NETWORK_ERROR_CODES.has(v)) return v;
  const inMessage = typeof e.message === 'string' ? /\b(E[A-Z_]+|UND_ERR_[A-Z_]+)\b/.exec(e.message)?.[1] : undefined;
  if (inMessage && NETWORK_ERROR_CODES.has(inMessage)) return inMessage;
  return networkErrorCode(e.cause, depth + 1);
}

/** True when an error (or one it wraps through `cause`) is a network failure: see {@link networkErrorCode}. */
export function isNetworkError(error: unknown): boolean {
  return networkErrorCode(error) !== undefined;
}
