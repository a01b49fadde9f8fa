import type { FastifyRequest } from 'fastify';
import { type Role, roleAtLeast } from '../context.ts';
import { AppError } from '../errors.ts';
import { getRequestContext } from './request-context.ts';

declare module 'fastify' {
  // Fastify's documented way to type route `config`. One optional flag, read in one place
  // (enforceMethodFloor), unlike decorators on the instance (fastify#5061).
  interface FastifyContextConfig {
    /** The route touches only the caller's own session or account: no role floor applies. */
    anyRole?: boolean;
  }
}

const forbidden = (min: Role, have: Role | undefined) =>
  new AppError('FORBIDDEN_ROLE', 'forbidden', `This needs the ${min} role or higher; you have ${have ?? 'none'}.`, {
    extra: { requiredRole: min },
  });

/** A preHandler that lets the request through only if its actor's role is at least `min`. */
export const requireRole = (min: Role) => async (req: FastifyRequest) => {
  const { role } = getRequestContext(req);
  if (!roleAtLeast(role, min)) throw forbidden(min, role);
};

/**
 * The floor for every authenticated route: reading needs `viewer`, changing needs `editor`.
 * Routes that need more add `preHandler: requireRole(…)`. Only routes that touch nothing but
 * the caller's own session may opt out with `config: { anyRole: true }`.
 */
export async function enforceMethodFloor(req: FastifyRequest): Promise<void> {
  // Routes that act only on the caller's own session (logout, switch tenant) opt out.
  if (req.routeOptions.config?.anyRole) return;
  const min: Role = req.method === 'GET' || req.method === 'HEAD' ? 'viewer' : 'editor';
  const { role } = getRequestContext(req);
  if (!roleAtLeast(role, min)) throw forbidden(min, role);
}
