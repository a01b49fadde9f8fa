import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { problems } from '../../platform/http/openapi.ts';
import { safeText } from '../../platform/validation.ts';
import { decideByApprovalLink, describeApprovalLink } from './approval-links.service.ts';
import type { WorkflowsDeps } from './workflows.service.ts';

/** The routes of approval links, so app.ts can give them the public-credential rate limit. */
export const APPROVAL_LINK_ROUTES = ['/approvals/:token'] as const;

// Any string: a malformed token must get the very answer an unknown one gets (404), not a 400.
const TokenParams = z.object({ token: z.string() });

/**
 * `GET|POST /approvals/:token` — public, next to `/hooks/:key`: the token in the link is the
 * credential. GET shows what is asked and decides nothing (scanners prefetch links); POST decides.
 */
export const approvalLinkRoutes =
  (deps: WorkflowsDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const tags = ['runs'];
    // The token is in the URL: keep answers out of caches.
    app.addHook('onSend', async (_req, reply, payload) => {
      reply.header('cache-control', 'no-store');
      return payload;
    });

    app.get(
      APPROVAL_LINK_ROUTES[0],
      {
        schema: {
          tags,
          summary: 'What an approval link asks (decides nothing)',
          description:
            'Public: the token mailed by an approval step is the credential. 404 `APPROVAL_LINK_NOT_FOUND` for an unknown or used link, 410 `APPROVAL_EXPIRED` past its expiry.',
          security: [],
          params: TokenParams,
          response: {
            200: z.object({
              workflow: z.object({ id: z.string(), name: z.string() }),
              runId: z.string(),
              stepId: z.string(),
              message: z.string(),
              recipient: z.string(),
              expiresAt: z.string(),
            }),
            ...problems(404, 410),
          },
        },
      },
      async (req) => describeApprovalLink(deps, req.params.token),
    );

    app.post(
      APPROVAL_LINK_ROUTES[0],
      {
        schema: {
          tags,
          summary: 'Approve or reject through an approval link',
          description:
            'Single use: the first decision through any link of the step (or the API) closes every link. Audited as `approval-link:<recipient>`.',
          security: [],
          params: TokenParams,
          body: z.object({
            decision: z.enum(['approved', 'rejected']),
            comment: safeText({ max: 2000 }).optional(),
          }),
          response: {
            200: z.object({ runId: z.string(), stepId: z.string(), decision: z.string() }),
            ...problems(400, 404, 409, 410),
          },
        },
      },
      async (req) =>
        decideByApprovalLink(deps, req.params.token, req.body, {
          requestId: req.id,
          ip: req.ip,
          userAgent: req.headers['user-agent'],
        }),
    );
  };
