import { PassThrough } from 'node:stream';
import { describe, expect, test } from '@jest/globals';
import { ask } from '../src/prompt.js';

/** Answers the questions in order, and keeps what was shown. */
function terminal(answers: string[]) {
  const input = new PassThrough();
  const output = new PassThrough();
  let shown = '';
  output.on('data', (chunk: Buffer) => {
    shown += chunk.toString();
    // Each question ends with ': '; answer it only once it is asked.
    if (shown.endsWith(': ') && answers.length > 0) input.write(`${answers.shift()}\n`);
  });
  return { io: { input, output }, shown: () => shown };
}

describe('the questions asked in a terminal without --yes', () => {
  test('the folder and the name default to each other; Enter takes the default', async () => {
    const t = terminal(['', '']);
    expect(await ask({}, t.io)).toEqual({ dir: 'upload-provider-my-store', name: 'my-store' });
    expect(t.shown()).toContain("Provider name, as users will load it (provider: '<name>') (my-store): ");
  });

  test('a refused name is explained and asked again', async () => {
    const t = terminal(['My_Store', 'my-store']);
    expect(await ask({ dir: 'somewhere' }, t.io)).toEqual({ dir: 'somewhere', name: 'my-store' });
    expect(t.shown()).toMatch(/not a valid npm package name .*--name my-store\n/);
  });

  test('nothing is asked for what was given', async () => {
    const t = terminal([]);
    expect(await ask({ dir: 'd', name: 'n' }, t.io)).toEqual({ dir: 'd', name: 'n' });
    expect(t.shown()).toBe('');
  });
});
