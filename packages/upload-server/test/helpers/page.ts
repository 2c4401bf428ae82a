import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A file the page server answers with. */
export interface PageFile {
  type: string;
  body: string | Buffer;
}

/**
 * A page's own origin (another port of 127.0.0.1): it serves `files` by path, and `files['/']` for any other path.
 * It serves the page only; the API is elsewhere.
 */
export async function startPageServer(
  files: Record<string, PageFile>,
): Promise<{ url: string; server: Server; close(): void }> {
  const server = createServer((req, res) => {
    const file = files[req.url ?? '/'] ?? files['/']!;
    res.setHeader('content-type', file.type);
    res.end(file.body);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    server,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}
