import { createDebug } from 'upload-provider';

/** The part of Strapi's `strapi` global that upload providers read. */
export interface StrapiGlobal {
  log: Record<'debug' | 'info' | 'warn' | 'error', (message: unknown, ...rest: unknown[]) => void>;
  dirs: { static: { public: string } };
  config: { get(path: string, fallback?: unknown): unknown };
}

const debug = createDebug('strapi');
const holder = globalThis as { strapi?: unknown };
let ours: StrapiGlobal | undefined;
let users = 0;

/**
 * Puts the least `strapi` global that providers use in place while a bridge is open, unless a real Strapi is running
 * (then its own stays). Returns the release function; the global is removed when the last bridge releases it.
 */
export function acquireStrapiGlobal(publicDir: string, config: Record<string, unknown>): () => void {
  if (holder.strapi !== undefined && holder.strapi !== ours) return () => {};
  if (!ours) {
    ours = {
      log: {
        debug: (m, ...r) => debug('strapi.log.debug', [m, ...r]),
        info: (m, ...r) => debug('strapi.log.info', [m, ...r]),
        warn: (m, ...r) => process.emitWarning(String(m), { detail: r.map(String).join(' ') || undefined }),
        error: (m, ...r) =>
          process.emitWarning(String(m), { type: 'StrapiProviderError', detail: r.map(String).join(' ') || undefined }),
      },
      dirs: { static: { public: publicDir } },
      config: { get: (path, fallback) => lookup(config, path) ?? fallback },
    };
    holder.strapi = ours;
  }
  users += 1;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    users -= 1;
    if (users === 0 && holder.strapi === ours) {
      delete holder.strapi;
      ours = undefined;
    }
  };
}

function lookup(config: Record<string, unknown>, path: string): unknown {
  if (path in config) return config[path];
  let node: unknown = config;
  for (const part of path.split('.')) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}
