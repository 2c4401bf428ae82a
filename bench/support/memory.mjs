// Memory figures for benchmarks: RSS sampled while work runs, and the idle footprint around it.
import { setTimeout as sleep } from 'node:timers/promises';

/** Samples RSS every 5 ms while `fn` runs; returns its result, the peak RSS and the seconds it took. */
export async function measure(fn) {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 5);
  const started = process.hrtime.bigint();
  try {
    const result = await fn();
    peak = Math.max(peak, process.memoryUsage.rss());
    return { result, peak, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
  } finally {
    clearInterval(timer);
  }
}

/** The process's idle RSS: the smallest of a few samples taken after garbage collection (run node with --expose-gc). */
export async function idleRss() {
  const samples = [];
  for (let i = 0; i < 20; i++) {
    globalThis.gc?.();
    await sleep(10);
    samples.push(process.memoryUsage.rss());
  }
  return Math.min(...samples);
}
