export type ActorType = 'anonymous' | 'user' | 'api_key' | 'system';

/** Roles in a tenant, weakest first: each can do everything the ones before it can. */
export const ROLES = ['viewer', 'editor', 'admin', 'owner'] as const;
export type Role = (typeof ROLES)[number];

export const roleAtLeast = (role: Role | undefined, min: Role): boolean =>
  role !== undefined && ROLES.indexOf(role) >= ROLES.indexOf(min);

/**
 * Who acts, for which tenant, from where: what a service needs to scope, authorise and audit a
 * call. HTTP requests, jobs and CLI commands each build one; services never see the transport.
 */
export interface ActorContext {
  readonly tenantId: string;
  readonly actor: { readonly type: ActorType; readonly id: string };
  /** The actor's role in the tenant; undefined for system work that is not role-bound. */
  readonly role?: Role | undefined;
  /** An API key's scopes (permissions); undefined for users, whose role alone decides. */
  readonly scopes?: readonly string[] | undefined;
  /** The tenant's quotas as of authentication (≤ 5 s old); undefined or null: unlimited. */
  readonly quotaItems?: number | null | undefined;
  /** The login session behind a user's request (for logout and "revoke other sessions"). */
  readonly sessionId?: string | undefined;
  readonly requestId: string | undefined;
  readonly ip: string | undefined;
  readonly userAgent: string | undefined;
}
