import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** The server's Prometheus metrics: one registry per app, so several apps in one process never share counts. */
export interface ServerMetrics {
  registry: Registry;
  requests: Histogram<'method' | 'route' | 'status'>;
  uploadedBytes: Counter;
  servedBytes: Counter;
  providerCalls: Histogram<'method' | 'result'>;
  sweeps: Counter<'kind'>;
  swept: Counter<'kind'>;
  uploadsInFlight: Gauge;
  /** For a sweep (the direct-upload one, the orphan one...): counts the run and what it removed. */
  recordSweep(kind: string, removed: number): void;
}

const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export function createMetrics(): ServerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const sweeps = new Counter({
    name: 'upload_server_sweeps_total',
    help: 'Sweeps this process ran, by kind',
    labelNames: ['kind'] as const,
    registers,
  });
  const swept = new Counter({
    name: 'upload_server_swept_objects_total',
    help: 'Objects (or rows) the sweeps removed, by kind',
    labelNames: ['kind'] as const,
    registers,
  });
  return {
    registry,
    requests: new Histogram({
      name: 'upload_server_http_request_duration_seconds',
      help: 'HTTP requests by method, route pattern and status, with their durations (the _count is the number of requests)',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: SECONDS,
      registers,
    }),
    uploadedBytes: new Counter({
      name: 'upload_server_uploaded_bytes_total',
      help: 'Bytes this process wrote to the storage (files and their image formats)',
      registers,
    }),
    servedBytes: new Counter({
      name: 'upload_server_served_bytes_total',
      help: 'Bytes of files this process served (downloads by secret and the local provider’s files)',
      registers,
    }),
    providerCalls: new Histogram({
      name: 'upload_server_provider_call_duration_seconds',
      help: 'Calls to the storage provider by method and result ("ok" or the contract error code), with durations',
      labelNames: ['method', 'result'] as const,
      buckets: SECONDS,
      registers,
    }),
    sweeps,
    swept,
    uploadsInFlight: new Gauge({
      name: 'upload_server_uploads_in_flight',
      help: 'Upload requests this process is handling now',
      registers,
    }),
    recordSweep(kind, removed) {
      sweeps.inc({ kind });
      if (removed > 0) swept.inc({ kind }, removed);
    },
  };
}
