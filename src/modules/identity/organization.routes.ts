import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ROLES } from '../../platform/context.ts';
import { idPattern } from '../../platform/ids.ts';
import { requireRole } from '../../platform/http/authorize.ts';
import { problems } from '../../platform/http/openapi.ts';
import { getRequestContext } from '../../platform/http/request-context.ts';
import { safeText } from '../../platform/validation.ts';
import type { AuthCache } from './auth-cache.ts';
import { Email } from './identity.dto.ts';
import {
  acceptInvitation,
  createInvitation,
  listInvitations,
  resendInvitation,
  revokeInvitation,
} from './invitations.service.ts';
import { changeMemberRole, listMembers, removeMember, transferOwnership } from './members.service.ts';
import { createOrganization, deleteOrganization, renameOrganization } from './organization.service.ts';
import type { Database } from '../../platform/db/database.ts';
import { inTenant } from '../../platform/db/tenant-scope.ts';

export interface OrganizationRoutesDeps {
  db: Database;
  cache: AuthCache;
  publicUrl: string;
}

const MemberSchema = z
  .object({ userId: z.string(), email: z.string(), name: z.string(), role: z.enum(ROLES), joinedAt: z.iso.datetime() })
  .meta({ id: 'Member' });
const InvitationSchema = z
  .object({
    id: z.string(),
    email: z.string(),
    role: z.enum(ROLES),
    invitedBy: z.string(),
    createdAt: z.iso.datetime(),
    expiresAt: z.iso.datetime(),
    status: z.enum(['pending', 'accepted', 'revoked', 'expired']),
  })
  .meta({ id: 'Invitation' });
const UserParams = z.strictObject({ userId: z.string().regex(idPattern('usr'), 'is not a user id (usr_…)') });
const InvitationParams = z.strictObject({ id: z.string().regex(idPattern('inv'), 'is not an invitation id (inv_…)') });
const TenantSchema = z.object({ id: z.string(), name: z.string(), status: z.string(), createdAt: z.iso.datetime() });

/** Members, invitations and the organisation itself (the current tenant). */
export const organizationRoutes =
  (deps: OrganizationRoutesDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const tags = ['members'];
    app.get(
      '/members',
      {
        config: { permission: 'members:read' },
        schema: {
          tags,
          summary: 'Members of this tenant and their roles',
          response: { 200: z.object({ data: z.array(MemberSchema) }) },
        },
      },
      async (req) => {
        const { tenantId } = getRequestContext(req);
        return { data: await inTenant(deps.db, tenantId, (tx) => listMembers(tx, tenantId)) };
      },
    );
    app.patch(
      '/members/:userId',
      {
        config: { permission: 'members:write' },
        schema: {
          tags,
          summary: "Change a member's role (granting or removing owner needs an owner)",
          params: UserParams,
          body: z.strictObject({ role: z.enum(ROLES) }),
          response: { 200: MemberSchema, ...problems(400, 404, 409) },
        },
      },
      async (req) => changeMemberRole(deps, getRequestContext(req), req.params.userId, req.body.role),
    );
    app.delete(
      '/members/:userId',
      {
        // Anyone may leave; removing someone else is checked in the service (admin, owner for owners).
        config: { anyRole: true },
        schema: {
          tags,
          summary: 'Remove a member, or leave (your own id); the last owner cannot leave',
          params: UserParams,
          response: { 204: z.undefined(), ...problems(400, 404, 409) },
        },
      },
      async (req, reply) => {
        await removeMember(deps, getRequestContext(req), req.params.userId);
        return reply.status(204).send();
      },
    );
    app.post(
      '/members/transfer-ownership',
      {
        config: { permission: 'members:write' },
        preHandler: requireRole('owner'),
        schema: {
          tags,
          summary: 'Make another member owner; you become admin',
          body: z.strictObject({ userId: z.string().regex(idPattern('usr')) }),
          response: { 204: z.undefined(), ...problems(400, 404) },
        },
      },
      async (req, reply) => {
        await transferOwnership(deps, getRequestContext(req), req.body.userId);
        return reply.status(204).send();
      },
    );

    const invTags = ['invitations'];
    const invDeps = { db: deps.db, publicUrl: deps.publicUrl };
    app.get(
      '/invitations',
      {
        config: { permission: 'invitations:manage' },
        schema: {
          tags: invTags,
          summary: 'Invitations of this tenant',
          response: { 200: z.object({ data: z.array(InvitationSchema) }) },
        },
      },
      async (req) => {
        const { tenantId } = getRequestContext(req);
        return { data: await inTenant(deps.db, tenantId, (tx) => listInvitations(tx, tenantId)) };
      },
    );
    app.post(
      '/invitations',
      {
        config: { permission: 'invitations:manage' },
        schema: {
          tags: invTags,
          summary: 'Invite someone by email; the link is emailed and valid 7 days',
          body: z.strictObject({ email: Email, role: z.enum(ROLES) }),
          response: { 201: InvitationSchema, ...problems(400, 409, 413, 415) },
        },
      },
      async (req, reply) => reply.status(201).send(await createInvitation(invDeps, getRequestContext(req), req.body)),
    );
    app.post(
      '/invitations/:id/resend',
      {
        config: { permission: 'invitations:manage' },
        schema: {
          tags: invTags,
          summary: 'Email a fresh link (the old one stops working)',
          params: InvitationParams,
          response: { 200: InvitationSchema, ...problems(400, 404) },
        },
      },
      async (req) => resendInvitation(invDeps, getRequestContext(req), req.params.id),
    );
    app.delete(
      '/invitations/:id',
      {
        config: { permission: 'invitations:manage' },
        schema: {
          tags: invTags,
          summary: 'Revoke a pending invitation',
          params: InvitationParams,
          response: { 204: z.undefined(), ...problems(400, 404) },
        },
      },
      async (req, reply) => {
        await revokeInvitation(invDeps, getRequestContext(req), req.params.id);
        return reply.status(204).send();
      },
    );
    app.post(
      '/invitations/accept',
      {
        config: { anyRole: true },
        schema: {
          tags: invTags,
          summary: 'Accept an invitation sent to your address (then switch tenant to act in it)',
          body: z.strictObject({ token: z.string().min(10).max(200) }),
          response: {
            200: z.object({ tenantId: z.string(), tenantName: z.string(), role: z.enum(ROLES) }),
            ...problems(400, 404),
          },
        },
      },
      async (req) => acceptInvitation(deps.db, getRequestContext(req), req.body.token),
    );

    const orgTags = ['organization'];
    app.post(
      '/organizations',
      {
        config: { anyRole: true },
        schema: {
          tags: orgTags,
          summary: 'Create another organisation that you own',
          body: z.strictObject({ name: safeText({ min: 1, max: 100 }) }),
          response: { 201: z.object({ id: z.string(), name: z.string(), role: z.enum(ROLES) }), ...problems(400) },
        },
      },
      async (req, reply) =>
        reply.status(201).send(await createOrganization(deps, getRequestContext(req), req.body.name)),
    );
    app.patch(
      '/organization',
      {
        config: { permission: 'organization:write' },
        schema: {
          tags: orgTags,
          summary: 'Rename the current organisation',
          body: z.strictObject({ name: safeText({ min: 1, max: 100 }) }),
          response: { 200: TenantSchema, ...problems(400) },
        },
      },
      async (req) => renameOrganization(deps, getRequestContext(req), req.body.name),
    );
    app.delete(
      '/organization',
      {
        config: { permission: 'organization:delete' },
        preHandler: requireRole('owner'),
        schema: {
          tags: orgTags,
          summary: 'Delete the current organisation (soft: unusable at once, purged later)',
          response: { 204: z.undefined(), ...problems(400) },
        },
      },
      async (req, reply) => {
        await deleteOrganization(deps, getRequestContext(req));
        return reply.status(204).send();
      },
    );
  };
