import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { Inbox } from 'lucide-react';
import { type FormEvent, useState } from 'react';
import { api, call } from '../../api/client';
import { formatDateTime, formatRelative } from '../../lib/format';
import { Badge } from '../../ui/badge';
import { Button } from '../../ui/button';
import { EmptyState, ErrorState, Loading } from '../../ui/feedback';
import { Field, Input, Select } from '../../ui/form';
import { Card } from '../../ui/layout';
import { splitLinks } from './operator-logic';

const KINDS = [
  { value: '', label: 'All kinds' },
  { value: 'invitation', label: 'Invitations' },
  { value: 'reset_password', label: 'Password resets' },
  { value: 'verify_email', label: 'Email confirmations' },
];
const kindLabel = (kind: string) => KINDS.find((k) => k.value === kind)?.label.replace(/s$/, '') ?? kind;

function EmailText({ text }: { text: string }) {
  return (
    <pre className="rounded-md bg-slate-50 p-3 font-sans text-sm whitespace-pre-wrap [overflow-wrap:anywhere] dark:bg-slate-950">
      {splitLinks(text).map((part, i) =>
        part.kind === 'link' ? (
          <a
            key={i}
            href={part.href}
            target="_blank"
            rel="noreferrer"
            className="text-indigo-600 underline dark:text-indigo-400"
          >
            {part.href}
          </a>
        ) : (
          <span key={i}>{part.text}</span>
        ),
      )}
    </pre>
  );
}

/**
 * The emails the instance sent, or would have: without SMTP this is the only mailbox, so the
 * operator can pass on a reset or invitation link by hand.
 */
export function OutboxCard() {
  const [draftTo, setDraftTo] = useState('');
  const [to, setTo] = useState('');
  const [kind, setKind] = useState('');
  const outbox = useQuery({
    queryKey: ['operator', 'outbox', { to, kind }],
    queryFn: () =>
      call(
        api.GET('/api/v1/operator/outbox', {
          params: { query: { limit: 50, ...(to ? { to } : {}), ...(kind ? { kind } : {}) } },
        }),
      ),
    placeholderData: keepPreviousData,
  });
  const emails = outbox.data?.data ?? [];

  function search(e: FormEvent) {
    e.preventDefault();
    setTo(draftTo.trim());
  }

  return (
    <Card title="Outbox">
      <form onSubmit={search} className="mb-4 flex flex-col gap-3 sm:flex-row sm:items-end">
        <Field label="Recipient" className="sm:flex-1">
          {(p) => (
            <Input
              {...p}
              type="search"
              placeholder="someone@example.com"
              value={draftTo}
              onChange={(e) => setDraftTo(e.target.value)}
              maxLength={254}
            />
          )}
        </Field>
        <Field label="Kind" className="sm:w-52">
          {(p) => (
            <Select {...p} value={kind} onChange={(e) => setKind(e.target.value)}>
              {KINDS.map((k) => (
                <option key={k.value} value={k.value}>
                  {k.label}
                </option>
              ))}
            </Select>
          )}
        </Field>
        <Button type="submit" busy={outbox.isFetching && !outbox.isPending}>
          Search
        </Button>
      </form>
      {outbox.isPending ? (
        <Loading />
      ) : outbox.isError ? (
        <ErrorState error={outbox.error} onRetry={() => void outbox.refetch()} />
      ) : emails.length === 0 ? (
        <EmptyState
          icon={<Inbox aria-hidden className="size-8" />}
          title={to || kind ? 'No matching emails' : 'No emails yet'}
        >
          Invitations, password resets and email confirmations appear here. Without an email server this is their only
          mailbox: open one to copy its link and pass it on.
        </EmptyState>
      ) : (
        <ul className="divide-y divide-slate-200 rounded-md border border-slate-200 dark:divide-slate-800 dark:border-slate-800">
          {emails.map((m) => (
            <li key={m.id}>
              <details className="group">
                <summary className="flex cursor-pointer flex-wrap items-center gap-x-3 gap-y-1 px-3 py-2 text-sm hover:bg-slate-50 focus-visible:ring-2 focus-visible:ring-indigo-500 focus-visible:outline-none dark:hover:bg-slate-800/50">
                  <span className="w-full min-w-0 font-medium sm:w-auto sm:flex-1 sm:truncate">{m.subject}</span>
                  <Badge tone="blue">{kindLabel(m.kind)}</Badge>
                  <Badge tone={m.status === 'sent' ? 'green' : 'gray'}>{m.status}</Badge>
                  <span className="w-full truncate text-xs text-slate-500 sm:w-auto dark:text-slate-400">
                    to {m.to} · <time title={formatDateTime(m.createdAt)}>{formatRelative(m.createdAt)}</time>
                  </span>
                </summary>
                <div className="px-3 pb-3">
                  <EmailText text={m.text} />
                </div>
              </details>
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}
