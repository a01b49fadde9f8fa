import { and, desc, eq, lt, type SQL } from 'drizzle-orm';
import type { Executor } from '../../platform/db/database.ts';
import { newId } from '../../platform/ids.ts';
import { emailOutbox } from './mail.table.ts';

export interface OutgoingEmail {
  tenantId: string | null;
  to: string;
  subject: string;
  text: string;
  /** What it is for: `invitation`, `verify_email`, `reset_password`, … */
  kind: string;
}

/**
 * Queues an email in the outbox. Call it with the transaction that decided to send it, so the
 * email exists exactly when the change does (no email for a rolled-back invitation).
 */
export async function enqueueEmail(tx: Executor, email: OutgoingEmail): Promise<string> {
  const id = newId('eml');
  await tx.insert(emailOutbox).values({
    id,
    tenantId: email.tenantId,
    toAddress: email.to,
    subject: email.subject,
    textBody: email.text,
    kind: email.kind,
  });
  return id;
}

export interface OutboxEntry {
  id: string;
  tenantId: string | null;
  to: string;
  subject: string;
  text: string;
  kind: string;
  status: string;
  createdAt: string;
}

/** Newest first; for the operator and the CLI in embedded mode, where no SMTP is configured. */
export async function listOutbox(
  db: Executor,
  filter: { to?: string | undefined; kind?: string | undefined; limit: number; before?: string | undefined },
): Promise<OutboxEntry[]> {
  const where: SQL[] = [];
  if (filter.to) where.push(eq(emailOutbox.toAddress, filter.to.toLowerCase()));
  if (filter.kind) where.push(eq(emailOutbox.kind, filter.kind));
  if (filter.before) where.push(lt(emailOutbox.id, filter.before));
  const rows = await db
    .select()
    .from(emailOutbox)
    .where(where.length ? and(...where) : undefined)
    .orderBy(desc(emailOutbox.id))
    .limit(filter.limit);
  return rows.map((r) => ({
    id: r.id,
    tenantId: r.tenantId,
    to: r.toAddress,
    subject: r.subject,
    text: r.textBody,
    kind: r.kind,
    status: r.status,
    createdAt: r.createdAt.toISOString(),
  }));
}
