import Fastify, {
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
} from 'fastify';
import pretty from 'pino-pretty';
import qs from 'qs';
import type { UploadProvider } from 'upload-provider';
import { isLoopbackHost } from './access.js';
import { createAuthState, registerAuth } from './auth/index.js';
import type { UploadServerConfig } from './config/schema.js';
import type { UploadsContext } from './context.js';
import { registerCors } from './cors.js';
import { envelope, HttpError, toEnvelope } from './errors.js';
import { answerClientError } from './http/client-error.js';
import { registerHealth } from './http/health.js';
import { drainRequest } from './http/request.js';
import { createImageProcessor, type ImageProcessor } from './images/index.js';
import { RequestLog, serializeRequest } from './logging.js';
import { createMetrics, measureProvider, registerMetrics } from './metrics/index.js';
import { LOCAL_FILES_SCHEMA, registerOpenApi } from './openapi/index.js';
import { createLocalHandlerFor, createProvider, LOCAL_BASE_PATH } from './provider.js';
import { createResumable } from './resumable/index.js';
import { directRoutes } from './routes/direct/index.js';
import { filesRoutes, isSecretDownload, secretNotFound } from './routes/files/index.js';
import { mediaRoutes } from './routes/media/index.js';
import { strapiRoutes } from './routes/strapi/index.js';
import { tusRoutes } from './routes/tus/index.js';
import { openDatabase } from './store/db.js';
import { createRepository } from './store/repository.js';
import { createUploads } from './uploads/index.js';
import { startSweeps } from './uploads/sweep.js';

export interface BuildAppOptions {
  /** Use this provider instead of creating the configured one (it is still closed with the app). */
  provider?: UploadProvider;
  /** Fastify's logger option; default: JSON logs at `config.logLevel`, secrets redacted. */
  logger?: FastifyServerOptions['logger'];
  /** Working directory for relative paths and provider resolution. Default `process.cwd()`. */
  cwd?: string;
  /** The origin clients reach this server at; default `config.publicUrl` or `http://<host>:<port>`. */
  publicUrl?: string;
  /** Called for every route the server registers (fastify's `onRoute`), e.g. to check a document covers them. */
  onRoute?: (route: { method: string | string[]; url: string }) => void;
}

/** Refused at start-up: the message says what to change. */
export class StartupError extends Error {
  override readonly name = 'StartupError';
}

function defaultPublicUrl(config: UploadServerConfig): string {
  if (config.publicUrl) return config.publicUrl.replace(/\/+$/, '');
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const shown = host.includes(':') ? `[${host}]` : host;
  return `http://${shown}:${config.port}`;
}

/** Headers and fields that must never reach a log line. */
export const REDACTED_LOG_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'req.headers["x-amz-security-token"]',
  'res.headers["set-cookie"]',
];

/**
 * Builds the server: database (migrated), provider, access rules, routes. Call `listen` on the result; `close`
 * lets requests in flight finish, then closes the provider and the database.
 */
export async function buildApp(config: UploadServerConfig, options: BuildAppOptions = {}): Promise<FastifyInstance> {
  const cwd = options.cwd ?? process.cwd();
  const publicUrl = (options.publicUrl ?? defaultPublicUrl(config)).replace(/\/+$/, '');
  const app = Fastify({
    logger: options.logger ?? {
      level: config.logLevel,
      redact: { paths: REDACTED_LOG_PATHS, censor: '[redacted]' },
      serializers: { req: serializeRequest },
      // JSON for log collectors; readable lines on a terminal (redaction happens before, in this process).
      ...((config.logFormat ?? (process.stdout.isTTY ? 'pretty' : 'json')) === 'pretty'
        ? { stream: pretty({ translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', destination: 1 }) }
        : {}),
    },
    logController: new RequestLog(),
    trustProxy: config.trustProxy,
    bodyLimit: 1024 * 1024,
    return503OnClosing: true,
    clientErrorHandler: answerClientError,
    // A URL the router cannot take (undecodable, a segment too long) never reaches a route: answer it in the
    // envelope, without echoing the URL; a would-be secret gets the secret's 404.
    frameworkErrors: (error, request, reply) => {
      // Sent before any hook is attached, so `nosniff` is set here.
      const r = (reply as unknown as FastifyReply).header('x-content-type-options', 'nosniff');
      if (isSecretDownload(request.method, request.url)) return r.send(secretNotFound(r));
      const message = 'The URL cannot be read: a path segment is malformed or too long';
      r.code(400).send(envelope(400, message, { code: (error as { code?: string }).code ?? 'FST_ERR_BAD_URL' }));
    },
    routerOptions: {
      querystringParser: (text: string) =>
        qs.parse(text, { depth: 10, arrayLimit: 200, parameterLimit: 2000, allowDots: false }) as Record<
          string,
          unknown
        >,
      ignoreTrailingSlash: true,
      maxParamLength: 500,
    },
  });

  if (options.onRoute) app.addHook('onRoute', options.onRoute);
  await registerOpenApi(app, { publicUrl });
  const metrics = createMetrics();

  const database = await openDatabase({
    ...(config.database.url ? { url: config.database.url } : {}),
    ...(config.database.schema ? { schema: config.database.schema } : {}),
    poolSize: config.database.poolSize,
    dataDir: config.dataDir,
    cwd,
  });
  let rawProvider: UploadProvider;
  try {
    rawProvider = options.provider ?? (await createProvider(config, cwd));
  } catch (error) {
    await database.close();
    throw error;
  }
  // Every call the server makes to the storage is timed and counted; the local handler gets the provider itself.
  const provider = measureProvider(rawProvider, metrics);
  const repo = createRepository(database.db, database.dialect, { dataVersion: database.dataVersion });
  const auth = createAuthState(config, repo);

  const open = await auth.open();
  if (open && !isLoopbackHost(config.host)) {
    await database.close();
    await provider.close?.();
    throw new StartupError(
      `Refusing to listen on ${config.host} without an API token: anyone who can reach it could read and delete ` +
        'files. Create one with `upload-server token create --name <name>` (or set tokens in the config / ' +
        'UPLOAD_TOKEN), or bind to 127.0.0.1.',
    );
  }

  let images: ImageProcessor;
  try {
    const { breakpoints, thumbnail, pixelLimit, concurrency } = config.images;
    images = createImageProcessor({ breakpoints, thumbnail, pixelLimit, concurrency });
  } catch (error) {
    await database.close();
    await provider.close?.();
    throw error;
  }
  const base = {
    config,
    provider,
    db: database.db,
    dialect: database.dialect,
    repo,
    uploads: createUploads({ config, provider, repo, images, log: app.log }),
    images,
    log: app.log,
    publicUrl,
  };
  const ctx: UploadsContext = { ...base, resumable: createResumable(base) };
  app.decorate('uploads', ctx);

  startSweeps(app, ctx, { intervalMs: config.sweepIntervalMs, onSweep: metrics.recordSweep });
  app.addHook('onClose', async () => {
    await app.uploads.resumable.close();
    await provider.close?.();
    await database.close();
  });

  // Every refusal reads what the client is still sending (up to a limit) before it answers: a client that is
  // still uploading when the connection closes sees a reset, not the answer.
  const refuse = async (request: FastifyRequest, reply: FastifyReply, body: unknown) => {
    if (!(await drainRequest(request.raw))) reply.header('connection', 'close');
    return reply.send(body);
  };
  app.setErrorHandler(async (error, request, reply) => {
    const body = toEnvelope(error);
    if (body.error.status >= 500) request.log.error({ err: error }, 'request failed');
    else request.log.info({ status: body.error.status, error: body.error.message }, 'request refused');
    if (reply.sent) return;
    reply.code(body.error.status);
    if (typeof body.error.details.retryAfter === 'number') reply.header('retry-after', body.error.details.retryAfter);
    return refuse(request, reply, body);
  });
  app.setNotFoundHandler(async (request, reply) => {
    if (isSecretDownload(request.method, request.url)) return refuse(request, reply, secretNotFound(reply));
    reply.code(404);
    return refuse(request, reply, envelope(404, `No route for ${request.method} ${request.url.split('?')[0]}`));
  });
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    // While shutting down, answer the requests in flight and let their connections go.
    if (closing) reply.header('connection', 'close');
    return payload;
  });

  // Strapi clients send `Content-Type: application/json` on every request, DELETE and GET included, with no body:
  // an empty JSON body is no body, not an error.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, text, done) => {
    const body = String(text);
    if (body.trim() === '') {
      done(null, undefined);
      return;
    }
    try {
      done(null, JSON.parse(body));
    } catch {
      done(new HttpError(400, 'The body is not valid JSON'), undefined);
    }
  });

  // A multipart body is left unread here: `readUploadForm` streams it, part by part, into the pipeline.
  app.addContentTypeParser('multipart/form-data', (_request, _payload, done) => done(null));
  // Counted before the access check, so refused requests are counted too.
  registerMetrics(app, metrics);
  // CORS first: a preflight carries no token and must be answered before the access check.
  registerCors(app, { origins: config.corsOrigins });
  registerAuth(app, auth, config);

  registerHealth(app);

  const localHandler = await createLocalHandlerFor(rawProvider);
  if (localHandler) {
    await app.register(async (scope) => {
      // Hand the raw request to the local provider's handler before anything reads its body.
      scope.removeAllContentTypeParsers();
      scope.addContentTypeParser('*', (_request, _payload, done) => done(null));
      const serveLocal = async (request: FastifyRequest, reply: FastifyReply) => {
        reply.hijack();
        const handled = await localHandler(request.raw, reply.raw).catch((error: unknown) => {
          request.log.error({ err: error }, 'local provider handler failed');
          if (!reply.raw.headersSent) {
            const body = toEnvelope(error);
            reply.raw.writeHead(body.error.status, { 'content-type': 'application/json; charset=utf-8' });
            reply.raw.end(JSON.stringify(body));
          }
          return true;
        });
        if (!handled && !reply.raw.headersSent) {
          reply.raw.writeHead(404, {
            'content-type': 'application/json; charset=utf-8',
            'x-content-type-options': 'nosniff',
          });
          reply.raw.end(JSON.stringify(envelope(404, 'Not Found')));
        }
      };
      // Files at /uploads/<key>; signed direct-upload POSTs at /uploads itself.
      for (const url of [LOCAL_BASE_PATH, `${LOCAL_BASE_PATH}/*`]) {
        scope.route({
          method: ['GET', 'HEAD', 'POST', 'OPTIONS'],
          url,
          config: { access: 'public' },
          schema: LOCAL_FILES_SCHEMA,
          handler: serveLocal,
        });
      }
    });
  }

  await app.register(strapiRoutes);
  await app.register(filesRoutes);
  await app.register(directRoutes);
  await app.register(tusRoutes);
  await app.register(mediaRoutes);

  if (open) {
    app.log.warn(
      `NO API TOKEN IS CONFIGURED: anyone on this machine can read, upload and delete files without credentials. ` +
        `The server listens on ${config.host} only. Create a token with \`upload-server token create --name <name>\`.`,
    );
  }
  return app;
}
