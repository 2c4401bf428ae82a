/** Node socket errors that mean the database cannot be reached right now. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

/**
 * Whether an error says the database is away (refused, cut off, shutting down, out of connections), as opposed to a
 * query that is wrong: the first is a 503 the client may retry, the second a bug.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  // Not `instanceof Error`: socket errors may come from another realm (a VM context, a worker).
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (NETWORK_CODES.has(code)) return true;
    // SQLSTATE class 08 (connection exception), 57P01-57P03 (terminated by an administrator, crash shutdown,
    // cannot connect now), 53300 (too many connections).
    if (/^08/.test(code) || /^57P0[1-3]$/.test(code) || code === '53300') return true;
    if (code === 'SQLITE_BUSY') return true;
  }
  // node-postgres reports a dropped or unreachable server with plain errors carrying these messages.
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection ended unexpectedly/i.test(
    String((error as { message?: unknown }).message ?? ''),
  );
}
