import { appendFile, readFile, rename, rm } from 'node:fs/promises';
import type { StoredRef } from 'upload-provider';

/** One mirror write that failed in best-effort mode, as a line of JSON in the repair log. */
export type RepairRecord =
  | {
      op: 'upload';
      /** Index into `mirrors` (0 is the first mirror) and that mirror's name, for people reading the log. */
      mirror: number;
      provider: string;
      /** The primary's ref: repair reads the bytes from there. */
      ref: StoredRef;
      mime: string;
      name: string;
      disposition?: 'inline' | 'attachment';
      cacheControl?: string;
      metadata?: Record<string, string>;
      at: string;
      error: string;
    }
  | { op: 'delete'; mirror: number; provider: string; ref: StoredRef; at: string; error: string };

/**
 * An append-only file of JSON lines. Appends are single `O_APPEND` writes, so concurrent uploads never interleave
 * within a line; `take` moves the file aside first, so records appended while a repair runs wait for the next one.
 */
export class RepairLog {
  constructor(readonly path: string) {}

  async append(records: RepairRecord[]): Promise<void> {
    if (records.length === 0) return;
    await appendFile(this.path, records.map((r) => `${JSON.stringify(r)}\n`).join(''), { mode: 0o600 });
  }

  /**
   * Every record, moved out of the log; call `done` once what could not be repaired is appended again, so a crash in
   * between leaves the taken records on disk (`<log>.<pid>.<time>.repairing`) rather than losing them.
   */
  async take(): Promise<{ records: RepairRecord[]; done: () => Promise<void> }> {
    const aside = `${this.path}.${process.pid}.${Date.now()}.repairing`;
    try {
      await rename(this.path, aside);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { records: [], done: async () => {} };
      throw error;
    }
    return { records: parse(await readFile(aside, 'utf8')), done: () => rm(aside, { force: true }) };
  }

  /** Every record in the log, leaving them there. */
  async list(): Promise<RepairRecord[]> {
    try {
      return parse(await readFile(this.path, 'utf8'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  }
}

function parse(text: string): RepairRecord[] {
  return text.split('\n').flatMap((line) => {
    if (line.trim() === '') return [];
    try {
      return [JSON.parse(line) as RepairRecord];
    } catch {
      // A line cut short by a crash mid-append: nothing in it can be trusted.
      return [];
    }
  });
}
