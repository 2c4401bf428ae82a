import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { isProviderError } from 'upload-provider';
import { localProvider } from '../src/index.js';
import { filesUnder } from './helpers.js';

const CYCLES = 2000;
const IN_FLIGHT = 16;

const root = mkdtempSync(join(tmpdir(), 'upl-local-churn-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('under churn', () => {
  it(`${CYCLES} upload-then-delete cycles, ${IN_FLIGHT} at once, in shared folders, all succeed`, async () => {
    const provider = localProvider({ root });
    const failures: string[] = [];
    let next = 0;
    // Few folders, so a delete that prunes an emptied folder races with an upload making it again.
    const worker = async () => {
      for (let i = next++; i < CYCLES; i = next++) {
        const key = `churn/${i % 3}/${i % 2}/f${i}.txt`;
        try {
          await provider.upload({ key, body: Buffer.from(`cycle ${i}`), mime: 'text/plain', name: `f${i}.txt` });
          await provider.delete({ key });
        } catch (error) {
          failures.push(`${key}: ${isProviderError(error) ? error.code : ''} ${(error as Error).message}`);
        }
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
    expect(failures).toEqual([]);
    expect(filesUnder(root)).toEqual([]);
  }, 180_000); // a hang guard only: about 5 s on a quiet machine, far longer when the machine is shared
});
