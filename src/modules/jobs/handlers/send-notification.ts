import { enqueueEmail } from '../../mail/index.ts';
import { JOB_LIMITS, SendNotificationPayload } from '../jobs.dto.ts';
import { JobFailure, type JobHandler, parsePayload } from './handler.ts';

/**
 * `send-notification`:
 *
 * - `email` goes to the email outbox in the transaction that marks the job succeeded, so a job
 *   retried after a crash never queues the mail twice;
 * - `webhook` POSTs the JSON `body` through the SSRF-guarded fetch (redirects not followed). A
 *   2xx succeeds; 408, 429 and 5xx answers and network errors are retried; other answers (4xx,
 *   3xx) and forbidden addresses fail at once. Delivery is at least once: an attempt whose answer
 *   was lost is sent again.
 */
export const sendNotification: JobHandler = async (payload, ctx) => {
  const p = parsePayload(SendNotificationPayload, payload);
  if (p.channel === 'email') {
    return {
      commit: async (tx) => {
        const emailId = await enqueueEmail(tx, {
          tenantId: ctx.tenantId,
          to: p.to.toLowerCase(),
          subject: p.subject,
          text: p.text,
          kind: 'job_notification',
        });
        return { channel: 'email', emailId };
      },
    };
  }

  await ctx.checkpoint();
  const url = new URL(p.url);
  const target = `${url.origin}${url.pathname}`;
  let response: Response;
  try {
    response = await ctx.fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'Switchyard-Jobs' },
      body: JSON.stringify(p.body),
      signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(JOB_LIMITS.webhookTimeoutMs)]),
    });
  } catch (err) {
    if (ctx.signal.aborted) throw err;
    const e = err as { code?: string; name?: string; message?: string };
    if (e.code === 'OUTBOUND_URL_FORBIDDEN') {
      throw new JobFailure('OUTBOUND_URL_FORBIDDEN', e.message ?? 'The URL is not allowed.', true);
    }
    const why =
      e.name === 'TimeoutError' ? `timed out after ${JOB_LIMITS.webhookTimeoutMs} ms` : (e.message ?? 'failed');
    throw new JobFailure('NOTIFICATION_WEBHOOK_FAILED', `POST ${target} ${why}`);
  }
  await response.body?.cancel().catch(() => undefined);
  const status = response.status;
  if (status >= 200 && status < 300) return { result: { channel: 'webhook', status } };
  if (status === 408 || status === 429 || status >= 500) {
    throw new JobFailure('NOTIFICATION_WEBHOOK_FAILED', `POST ${target} answered ${status}`);
  }
  const extra = status >= 300 && status < 400 ? ' (redirects are not followed)' : '';
  throw new JobFailure('NOTIFICATION_WEBHOOK_REJECTED', `POST ${target} answered ${status}${extra}`, true);
};
