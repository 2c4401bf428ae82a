import type { IncomingMessage } from 'node:http';

// The HTTP rules every handler that serves stored bytes needs (the local provider's, upload-server's files
// route), kept here once: ranges, entity tags, and draining a refused request.

/** A `Range: bytes=…` header: one range, `'unsatisfiable'` (416), or null to serve the whole file (absent, several
 * ranges, another unit, or invalid syntax, which RFC 9110 §14.2 says to ignore). */
export function parseRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | 'unsatisfiable' | null {
  if (!header) return null;
  const match = /^bytes=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!match) return null;
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return null;
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  if (last !== '' && Number(last) < start) return null;
  if (start >= size) return 'unsatisfiable';
  return { start, end: last === '' ? size - 1 : Math.min(Number(last), size - 1) };
}

/** Whether an `If-None-Match` header matches `etag` (weak comparison, as RFC 9110 §13.1.2 asks; `*` matches any). */
export function etagMatches(header: string, etag: string): boolean {
  if (header.trim() === '*') return true;
  const weakless = (tag: string) => tag.trim().replace(/^W\//, '');
  return header.split(',').some((tag) => weakless(tag) === weakless(etag));
}

/**
 * Reads and discards what is left of a request body, so a client still sending (a refused upload) sees the answer
 * instead of a reset. Resolves true when the body ended within `limit` bytes (the connection can stay open); false
 * past the limit, or when the client sends nothing for `idleMs`.
 */
export function drainRequest(req: IncomingMessage, limit: number, idleMs = 5_000): Promise<boolean> {
  if (req.readableEnded || req.destroyed) return Promise.resolve(!req.destroyed);
  return new Promise((resolve) => {
    let drained = 0;
    const idle = setTimeout(() => {
      req.pause();
      finish(false);
    }, idleMs);
    const finish = (complete: boolean) => {
      clearTimeout(idle);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('close', onClose);
      resolve(complete);
    };
    const onData = (chunk: Buffer) => {
      idle.refresh();
      drained += chunk.length;
      if (drained > limit) {
        req.pause();
        finish(false);
      }
    };
    const onEnd = () => finish(true);
    const onClose = () => finish(req.readableEnded);
    // Whatever was reading the body (a multipart parser) gave up on it: the rest comes here.
    req.unpipe();
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('close', onClose);
    req.on('error', () => undefined);
    req.resume();
  });
}
