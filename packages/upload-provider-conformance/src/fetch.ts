/**
 * The suite's HTTP client: `fetch`, with one retry of a GET or HEAD whose reused keep-alive connection the server
 * closed as the request went out (ECONNRESET, "other side closed"). HTTP lets a client retry an idempotent request
 * after such a close (RFC 9112 §9.3.1), every browser does, and it says nothing about the provider under test; a
 * second failure, or any other method, is reported as it is.
 */
export function retryingFetch(base: typeof fetch): typeof fetch {
  return async (input, init) => {
    try {
      return await base(input, init);
    } catch (error) {
      const method = (init?.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
      if ((method !== 'GET' && method !== 'HEAD') || !closedConnection(error)) throw error;
      return base(input, init);
    }
  };
}

function closedConnection(error: unknown): boolean {
  const cause = (error as { cause?: { code?: string } } | undefined)?.cause;
  return cause?.code === 'ECONNRESET' || cause?.code === 'UND_ERR_SOCKET' || cause?.code === 'EPIPE';
}
