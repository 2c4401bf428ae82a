// The interactive questions (a terminal without --yes). node:readline is enough for two questions: the prompt
// libraries checked (@clack/prompts) need Node 20.12, above this package's 20.9.
import { createInterface } from 'node:readline/promises';
import { NameError, nameFromFolder, providerNames } from './names.js';

/** Asks for what was not given; a name is asked again, with what to change, until it is valid. */
export async function ask(
  given: { dir?: string | undefined; name?: string | undefined },
  io: { input: NodeJS.ReadableStream; output: NodeJS.WritableStream } = {
    input: process.stdin,
    output: process.stdout,
  },
) {
  const rl = createInterface(io);
  const question = async (text: string, fallback: string) =>
    (await rl.question(`${text} (${fallback}): `)).trim() || fallback;
  try {
    const dir = given.dir ?? (await question('Folder to create', 'upload-provider-my-store'));
    let name = given.name;
    while (name === undefined) {
      const answer = await question("Provider name, as users will load it (provider: '<name>')", nameFromFolder(dir));
      try {
        name = providerNames(answer).name;
      } catch (error) {
        if (!(error instanceof NameError)) throw error;
        io.output.write(`${error.message}\n`);
      }
    }
    return { dir, name };
  } finally {
    rl.close();
  }
}
