import type { FastifyRequest } from 'fastify';
import { type Role, roleAtLeast } from '../context.ts';
import { AppError } from '../errors.ts';
import { hasPermission, type Permission } from '../permissions.ts';
import { getRequestContext } from './request-context.ts';

declare module 'fastify' {
  // Fastify's documented way to type route `config`, read in one place (enforcePermission),
  // unlike decorators on the instance (fastify#5061).
  interface FastifyContextConfig {
    /** What the route needs; checked before the handler reads anything. */
    permission?: Permission;
    /**
     * A self-service route for people (their own session, account, membership): any role may
     * call it, API keys may not.
     */
    anyRole?: boolean;
  }
}

const forbidden = (permission: Permission) =>
  new AppError('FORBIDDEN_PERMISSION', 'forbidden', `This needs the ${permission} permission, which you do not have.`, {
    extra: { requiredPermission: permission },
  });

/**
 * The authorisation gate of every authenticated route: a preValidation hook, so it runs after
 * authentication and before the body is even validated, let alone any data read. A route must declare a `permission` or `anyRole`: one that declares
 * neither is refused, so a forgotten declaration fails closed.
 */
export async function enforcePermission(req: FastifyRequest): Promise<void> {
  const config = req.routeOptions.config;
  if (config?.anyRole) {
    if (getRequestContext(req).actor.type === 'api_key') {
      throw new AppError('FORBIDDEN_USER_ONLY', 'forbidden', 'This is for signed-in people, not API keys.');
    }
    return;
  }
  const permission = config?.permission;
  if (!permission) {
    req.log.error({ route: req.routeOptions.url }, 'route declares no permission: refused');
    throw new AppError('FORBIDDEN_UNDECLARED', 'forbidden', 'This route declares no permission and is closed.');
  }
  const ctx = getRequestContext(req);
  if (!hasPermission({ role: ctx.role, scopes: ctx.scopes, isApiKey: ctx.actor.type === 'api_key' }, permission)) {
    throw forbidden(permission);
  }
}

/** For rules finer than a permission (owners managing owners): the caller's role is at least `min`. */
export const requireRole = (min: Role) => async (req: FastifyRequest) => {
  const { role } = getRequestContext(req);
  if (!roleAtLeast(role, min)) {
    throw new AppError(
      'FORBIDDEN_ROLE',
      'forbidden',
      `This needs the ${min} role or higher; you have ${role ?? 'none'}.`,
      {
        extra: { requiredRole: min },
      },
    );
  }
};
