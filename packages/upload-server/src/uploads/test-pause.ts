import { writeFileSync } from 'node:fs';

/** The points of the upload pipeline a test can stop at: the original stored, no row yet; formats being stored. */
export type PausePoint = 'after-store' | 'during-formats';

// TEST ONLY. Read once: without both variables `pauseForTest` is a no-op, and nothing else sets them.
const AT = process.env.UPLOAD_TEST_PAUSE_AT;
const MARKER = process.env.UPLOAD_TEST_PAUSE_FILE;

/**
 * TEST ONLY: with `UPLOAD_TEST_PAUSE_AT=<point>` and `UPLOAD_TEST_PAUSE_FILE=<path>` in the environment, an upload
 * reaching `point` writes `path` and then waits forever, so the crash test can SIGKILL the server at that moment.
 */
export async function pauseForTest(point: PausePoint): Promise<void> {
  if (AT !== point || !MARKER) return;
  writeFileSync(MARKER, point);
  await new Promise<never>(() => {});
}
