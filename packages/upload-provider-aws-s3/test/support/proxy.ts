import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  /** Path and query as sent, e.g. `/bucket/key?partNumber=1&uploadId=…`. */
  url: string;
  headers: IncomingHttpHeaders;
  /** s3rver's answer. */
  status?: number;
}

/**
 * A plain HTTP proxy in front of s3rver that writes down every request the provider's own S3Client sends: how the
 * tests see what s3rver ignores (ACL, encryption and storage-class headers, checksum framing) without touching the
 * SDK. Bodies are piped through unchanged.
 */
export async function startRecordingProxy(target: string) {
  const requests: RecordedRequest[] = [];
  const upstream = new URL(target);
  const server: Server = createServer((req, res) => {
    const entry: RecordedRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers };
    requests.push(entry);
    const out = httpRequest(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        entry.status = answer.statusCode;
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    out.on('error', () => res.destroy());
    req.on('error', () => out.destroy());
    req.pipe(out);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    /** Requests whose path and query match, e.g. `for('PUT', /partNumber=/)`. */
    matching(method: string, url: RegExp = /./) {
      return requests.filter((r) => r.method === method && url.test(r.url));
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
