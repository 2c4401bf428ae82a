import { PassThrough, type Readable, Writable } from 'node:stream';

interface Branch {
  stream: PassThrough;
  live: boolean;
  /** Resolves a pending wait for this branch's drain, when it is detached instead. */
  release?: () => void;
}

/**
 * A writable that copies every chunk into several readable branches and takes the next chunk only once every live
 * branch has room for it, so the slowest consumer paces the source and memory stays at a few buffers per branch,
 * whatever the size of the file.
 */
export class FanOut extends Writable {
  private readonly branches: Branch[];

  constructor(count: number, highWaterMark = 64 * 1024) {
    super({ highWaterMark });
    this.branches = Array.from({ length: count }, () => ({ stream: new PassThrough({ highWaterMark }), live: true }));
  }

  /** The readable for consumer `i`. */
  output(i: number): Readable {
    return this.branches[i]!.stream;
  }

  /**
   * Stops feeding branch `i` (its consumer failed); the others go on. When none is left the source
   * is no longer worth reading, and the fan-out is destroyed.
   */
  detach(i: number, error?: Error): void {
    const branch = this.branches[i]!;
    if (!branch.live) return;
    branch.live = false;
    if (!branch.stream.destroyed) branch.stream.destroy(error);
    branch.release?.();
    if (this.branches.every((b) => !b.live) && !this.writableFinished) this.destroy();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const waits: Promise<void>[] = [];
    for (const branch of this.branches) {
      if (branch.live && !branch.stream.write(chunk)) waits.push(drained(branch));
    }
    if (waits.length === 0) callback();
    else Promise.all(waits).then(() => callback(), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    for (const branch of this.branches) if (branch.live) branch.stream.end();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    for (const branch of this.branches) {
      // A branch already ended has all its bytes; one that has not gets the source's error (or an early end).
      if (branch.live && !branch.stream.writableEnded)
        branch.stream.destroy(error ?? new Error('the source ended early'));
      branch.release?.();
    }
    callback(error);
  }
}

function drained(branch: Branch): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      branch.stream.off('drain', done);
      branch.stream.off('close', done);
      branch.release = undefined;
      resolve();
    };
    branch.stream.on('drain', done);
    branch.stream.on('close', done);
    branch.release = done;
  });
}
