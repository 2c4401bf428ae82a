// Loads upload-server's built modules (and its own dependencies) for the benchmarks that drive the server's code.
import { createRequire } from 'node:module';

const server = new URL('../packages/upload-server/', import.meta.url);

/** A module of upload-server's `dist`, with a line saying to build first when it is missing. */
export async function loadServer(path) {
  try {
    return await import(new URL(path, server).href);
  } catch (error) {
    console.error(
      `Cannot load ${path} from upload-server: build it first (pnpm exec turbo run build --filter=upload-server...).`,
    );
    throw error;
  }
}

/** `require` as upload-server resolves it: its own kysely, qs… */
export const serverRequire = createRequire(new URL('package.json', server));
