import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import type { UploadsContext } from '../context.js';
import { RETRY_AFTER_SECONDS } from '../errors.js';

/** How long `/_ready` waits for the database or the storage before it calls them unavailable. */
export const READY_TIMEOUT_MS = 3_000;

type Check = { ok: true } | { ok: false; error: string } | { ok: true; checked: false; reason: string };

function withTimeout<T>(work: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what} did not answer within ${READY_TIMEOUT_MS} ms`)),
      READY_TIMEOUT_MS,
    );
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

async function checkDatabase(ctx: UploadsContext): Promise<Check> {
  try {
    await withTimeout(sql`select 1`.execute(ctx.db), 'the database');
    return { ok: true };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * The storage answers when a `stat` of a key that cannot exist comes back (null): one cheap HEAD-like call, no
 * object written. A provider without `stat` cannot be asked without side effects, so it is reported unchecked.
 */
async function checkProvider(ctx: UploadsContext): Promise<Check> {
  const { provider } = ctx;
  if (!provider.capabilities.stat || typeof provider.stat !== 'function') {
    return { ok: true, checked: false, reason: `the ${provider.name} provider has no stat to ask it with` };
  }
  try {
    await withTimeout(provider.stat({ key: `_ready/${randomBytes(8).toString('hex')}` }), 'the storage');
    return { ok: true };
  } catch (error) {
    // The provider's own message says which kind of failure; its code is the contract's.
    const code = (error as { code?: string }).code;
    return { ok: false, error: code ? `${code}: ${(error as Error).message}` : String(error) };
  }
}

/**
 * `/_health`: the process is alive and serving (no I/O, for a liveness probe). `/_ready`: the database and the
 * storage answer, else 503 with `Retry-After` (for a load balancer's readiness probe).
 */
export function registerHealth(app: FastifyInstance): void {
  app.get(
    '/_health',
    {
      config: { access: 'public' },
      schema: {
        summary: 'Liveness: the process is up',
        tags: ['operations'],
        response: {
          200: {
            type: 'object',
            properties: { status: { const: 'ok' }, database: { type: 'string' }, provider: { type: 'string' } },
          },
        },
      },
    },
    async () => ({ status: 'ok', database: app.uploads.dialect, provider: app.uploads.provider.name }),
  );

  app.get(
    '/_ready',
    {
      config: { access: 'public' },
      schema: {
        summary: 'Readiness: the database and the storage answer',
        tags: ['operations'],
        response: {
          200: { $ref: 'Readiness#' },
          503: { $ref: 'Readiness#' },
        },
      },
    },
    async (_request, reply) => {
      const ctx = app.uploads;
      const [database, provider] = await Promise.all([checkDatabase(ctx), checkProvider(ctx)]);
      const ready = database.ok && provider.ok;
      if (!ready) reply.code(503).header('retry-after', RETRY_AFTER_SECONDS);
      return {
        status: ready ? 'ready' : 'unavailable',
        database: { dialect: ctx.dialect, ...database },
        provider: { name: ctx.provider.name, ...provider },
      };
    },
  );
}
