import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { envelope } from '../../errors.js';
import { ASSET_SCHEMA, PAGE_SCHEMA, ROOT_SCHEMA } from './schemas.js';

/** Where the page is served. */
export const MEDIA_PATH = '/media';

/** The built page: `dist/media` of this package (this file sits three folders down, in `src/` or `dist/`). */
const PAGE_DIR = join(fileURLToPath(new URL('../../../', import.meta.url)), 'dist', 'media');

/**
 * The page may run only its own script; pictures and media come from wherever the provider keeps them (S3, a CDN…),
 * and `connect-src` lets the text and PDF previews read them.
 */
const PAGE_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  'img-src * data: blob:',
  'media-src *',
  // PDFs are shown from a blob: URL of the page (see the page's PdfPreview).
  "object-src 'self' blob:",
  "frame-src 'self' blob:",
  "connect-src 'self' *",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * The media library page at `/media` (and `/` redirects there). It is a static page built with the package; it
 * reads and changes files only through the public REST API, with the token the user signs in with.
 */
export const mediaRoutes: FastifyPluginAsync = async (app) => {
  if (!app.uploads.config.mediaLibrary) return;
  const built = existsSync(join(PAGE_DIR, 'index.html'));
  if (!built) app.log.warn(`The media library is not built (no ${PAGE_DIR}): run the package's build.`);

  await app.register(fastifyStatic, { root: PAGE_DIR, serve: false });

  const notBuilt = (reply: FastifyReply) =>
    reply.code(503).send(envelope(503, 'The media library page is not built: run `pnpm build` in upload-server'));

  const page = (_request: unknown, reply: FastifyReply) => {
    if (!built) return notBuilt(reply);
    reply.header('content-security-policy', PAGE_POLICY);
    reply.header('referrer-policy', 'no-referrer');
    // The page names the current assets: revalidate it every time.
    reply.header('cache-control', 'no-cache');
    return reply.sendFile('index.html', { cacheControl: false });
  };

  app.get('/', { config: { access: 'public' }, schema: ROOT_SCHEMA }, (_request, reply) =>
    reply.redirect(`${MEDIA_PATH}/`, 302),
  );
  app.get(MEDIA_PATH, { config: { access: 'public' }, schema: PAGE_SCHEMA }, page);
  // Built assets carry a content hash in their names: they never change, so browsers may keep them.
  app.get(`${MEDIA_PATH}/assets/:file`, { config: { access: 'public' }, schema: ASSET_SCHEMA }, (request, reply) => {
    if (!built) return notBuilt(reply);
    const { file } = request.params as { file: string };
    // Vite's names are `name-hash.ext`: anything else (dots first, slashes) is not one of ours.
    if (!/^[\w-]+(\.[\w-]+)+$/.test(file)) return reply.code(404).send(envelope(404, 'Not Found'));
    return reply.sendFile(join('assets', file), { maxAge: '365d', immutable: true });
  });
};
