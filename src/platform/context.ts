export type ActorType = 'anonymous' | 'user' | 'api_key' | 'system';

/**
 * Who acts, for which tenant, from where: what a service needs to scope and audit a call.
 * HTTP requests, jobs and CLI commands each build one; services never see the transport.
 */
export interface ActorContext {
  readonly tenantId: string;
  readonly actor: { readonly type: ActorType; readonly id: string };
  readonly requestId: string | undefined;
  readonly ip: string | undefined;
  readonly userAgent: string | undefined;
}
