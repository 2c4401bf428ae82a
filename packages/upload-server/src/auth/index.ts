import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { UploadServerConfig } from '../config/schema.js';
import { HttpError } from '../errors.js';
import { nowIso, type Repository } from '../store/repository.js';
import { type Access, hashToken, sameHash, tokenFromHeader } from './tokens.js';

export { type Access, generateToken, hashToken, sameHash, tokenFromHeader } from './tokens.js';

/** Who made a request. */
export interface RequestAuth {
  kind: 'anonymous' | 'token';
  /** What the caller may do: anonymous callers get full access only when no token exists at all. */
  access: Access | 'none';
  tokenName?: string;
}

/**
 * What a route needs, set as `config: { access }` in its route options: `public` (no token ever, e.g. downloads
 * by secret or signed URLs), `read`, or `write`. Default: `read` for GET/HEAD, `write` for everything else.
 */
export type RouteAccess = 'public' | 'read' | 'write';

declare module 'fastify' {
  interface FastifyRequest {
    auth: RequestAuth;
  }
  interface FastifyContextConfig {
    access?: RouteAccess;
  }
}

interface ConfigToken {
  name: string;
  hash: string;
  access: Access;
}

export interface AuthState {
  /** True when no token exists in config nor in the database: anonymous access, loopback only. */
  open(): Promise<boolean>;
  /** The access a presented token grants, or undefined when it matches no token. */
  check(token: string): Promise<{ name: string; access: Access } | undefined>;
}

export function createAuthState(config: UploadServerConfig, repo: Repository): AuthState {
  const configured: ConfigToken[] = config.tokens.map((t) => ({
    name: t.name,
    hash: t.hash ?? hashToken(t.token!),
    access: t.access,
  }));
  return {
    async open() {
      return configured.length === 0 && !(await repo.hasTokens());
    },
    async check(token) {
      const digest = hashToken(token);
      // Compare against every configured token, so the time taken does not depend on which (if any) matched.
      let found: ConfigToken | undefined;
      for (const t of configured) if (sameHash(t.hash, digest) && !found) found = t;
      if (found) return { name: found.name, access: found.access };
      // Stored tokens are looked up by their digest (an attacker cannot steer a sha256), then compared again.
      const row = await repo.findTokenByHash(digest);
      if (row && sameHash(row.token_hash, digest)) {
        // Record use at most once a minute per token: not a database write on every request.
        const last = row.last_used_at ? Date.parse(row.last_used_at) : 0;
        if (Date.now() - last > 60_000) repo.touchToken(row.id, nowIso()).catch(() => {});
        return { name: row.name, access: row.access };
      }
      return undefined;
    },
  };
}

function neededAccess(request: FastifyRequest): RouteAccess {
  const declared = request.routeOptions.config?.access;
  if (declared) return declared;
  return request.method === 'GET' || request.method === 'HEAD' ? 'read' : 'write';
}

/**
 * Installs the access check on every route, before its body is read. Routes declare `config: { access: 'public' }`
 * to opt out (health, the local provider's signed downloads, downloads by secret); unknown paths get their 404.
 */
export function registerAuth(app: FastifyInstance, state: AuthState, config: UploadServerConfig): void {
  app.decorateRequest('auth', null as unknown as RequestAuth);
  app.addHook('onRequest', async (request) => {
    request.auth = { kind: 'anonymous', access: 'none' };
    if (request.is404 || request.method === 'OPTIONS') return;
    const need = neededAccess(request);
    if (need === 'public') return;
    if (await state.open()) {
      request.auth = { kind: 'anonymous', access: 'full-access' };
      return;
    }
    const token = tokenFromHeader(request.headers.authorization);
    if (token === undefined) {
      if (need === 'read' && config.publicRead) return;
      throw new HttpError(401, 'Missing or invalid credentials: send "Authorization: Bearer <token>"');
    }
    const found = await state.check(token);
    if (!found) throw new HttpError(401, 'Missing or invalid credentials: the token is not valid');
    request.auth = { kind: 'token', access: found.access, tokenName: found.name };
    if (need === 'write' && found.access !== 'full-access') {
      throw new HttpError(403, 'Forbidden: this token is read-only; a full-access token is needed to change files');
    }
  });
}
