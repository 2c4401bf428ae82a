import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  /** Bytes of request body that passed through. */
  bodyBytes: number;
}

export interface Recorder {
  /** `http://127.0.0.1:<port>`: use it as STORAGE_EMULATOR_HOST so the SDK's requests pass through. */
  host: string;
  requests: RecordedRequest[];
  /** The requests that touched one object name (in the query's `name` or in the path). */
  for(objectName: string): RecordedRequest[];
  /**
   * When set, the storage's answer to a request for which it returns a promise is passed back only once that promise
   * settles. The storage has already acted on the request by then: a way to keep a client waiting on a response.
   */
  holdAnswer: ((request: RecordedRequest) => Promise<void> | undefined) | undefined;
  close(): Promise<void>;
}

/**
 * A pass-through HTTP proxy in front of the emulator that notes each request (method, path, query, headers, body
 * length) and streams bodies both ways unchanged. Tests read it to see which upload protocol the SDK spoke; nothing in
 * a request or answer is altered. The Host header is forwarded as it came, so the emulator's resumable session URLs
 * point back at the proxy.
 */
export async function startRecorder(target: string): Promise<Recorder> {
  const upstream = new URL(target);
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://proxy');
    const entry: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers: { ...req.headers },
      bodyBytes: 0,
    };
    requests.push(entry);
    req.on('data', (chunk: Buffer) => {
      entry.bodyBytes += chunk.length;
    });
    const out = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      async (answer) => {
        await recorder.holdAnswer?.(entry);
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    out.on('error', () => res.destroy());
    // A client that gives up mid-body (an aborted upload) is passed on as an aborted request.
    req.on('close', () => {
      if (!req.complete) out.destroy();
    });
    req.pipe(out);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const recorder: Recorder = {
    host: `http://127.0.0.1:${port}`,
    requests,
    for: (name) =>
      requests.filter((r) => r.query.get('name') === name || decodeURIComponent(r.path).endsWith(`/${name}`)),
    holdAnswer: undefined,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return recorder;
}
