import cliProgress from 'cli-progress';

export interface Totals {
  files: number;
  bytes: number;
}

export interface Progress extends Totals {
  failed: number;
}

/** Shows a run's progress: a bar on a terminal, otherwise one plain line per interval (for logs and CI). */
export interface Reporter {
  start(totals: Totals): void;
  update(progress: Progress): void;
  stop(): void;
}

const MiB = 1024 * 1024;

function mib(bytes: number): string {
  return `${(bytes / MiB).toFixed(1)} MiB`;
}

function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  return s >= 3600
    ? `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`
    : s >= 60
      ? `${Math.floor(s / 60)}m${s % 60}s`
      : `${s}s`;
}

/** Bytes per second so far, and the seconds left at that pace (by bytes, or by files when there are no bytes). */
function pace(progress: Progress, totals: Totals, started: number): { rate: number; eta: number } {
  const seconds = (Date.now() - started) / 1000;
  const [done, total] = totals.bytes > 0 ? [progress.bytes, totals.bytes] : [progress.files, totals.files];
  const eta = done > 0 ? ((total - done) * seconds) / done : Number.POSITIVE_INFINITY;
  return { rate: seconds > 0 ? progress.bytes / seconds : 0, eta };
}

export function createReporter(out: NodeJS.WriteStream, intervalMs = 2000): Reporter {
  let totals: Totals = { files: 0, bytes: 0 };
  let last: Progress = { files: 0, bytes: 0, failed: 0 };
  let started = Date.now();
  if (out.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        format:
          '{bar} {percentage}% | {value}/{total} files | {done} of {size} | {rate}/s | ETA {timeLeft} | {failed} failed',
        hideCursor: true,
        stream: out,
        etaBuffer: 50,
      },
      cliProgress.Presets.shades_classic,
    );
    const payload = () => {
      const { rate, eta } = pace(last, totals, started);
      return {
        done: mib(last.bytes),
        size: mib(totals.bytes),
        rate: mib(rate),
        timeLeft: duration(eta),
        failed: last.failed,
      };
    };
    return {
      start(t) {
        totals = t;
        started = Date.now();
        bar.start(t.files, 0, payload());
      },
      update(p) {
        last = p;
        bar.update(p.files, payload());
      },
      stop: () => bar.stop(),
    };
  }
  let timer: NodeJS.Timeout | undefined;
  const line = () => {
    const { rate, eta } = pace(last, totals, started);
    out.write(
      `migrate: ${last.files}/${totals.files} files, ${mib(last.bytes)} of ${mib(totals.bytes)}, ` +
        `${mib(rate)}/s, ETA ${duration(eta)}, ${last.failed} failed\n`,
    );
  };
  return {
    start(t) {
      totals = t;
      started = Date.now();
      timer = setInterval(line, intervalMs);
    },
    update(p) {
      last = p;
    },
    stop() {
      clearInterval(timer);
      line();
    },
  };
}
