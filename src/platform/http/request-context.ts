import type { FastifyRequest } from 'fastify';
import type { ActorContext } from '../context.ts';

/**
 * Kept in a WeakMap rather than decorated onto the request: no global declaration merging (see
 * fastify#5061), and a route whose context was never resolved fails loudly instead of reading
 * `undefined`.
 */
const contexts = new WeakMap<FastifyRequest, ActorContext>();

export function setRequestContext(request: FastifyRequest, ctx: ActorContext): void {
  contexts.set(request, ctx);
}

export function getRequestContext(request: FastifyRequest): ActorContext {
  const ctx = contexts.get(request);
  if (!ctx) throw new Error('request context was not resolved for this route');
  return ctx;
}

/** Where an unauthenticated request comes from: for session records and audit entries. */
export const clientInfo = (req: FastifyRequest) => ({
  requestId: req.id,
  ip: req.ip,
  userAgent: typeof req.headers['user-agent'] === 'string' ? req.headers['user-agent'] : undefined,
});
