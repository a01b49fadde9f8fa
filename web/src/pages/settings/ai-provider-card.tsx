import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { PlugZap } from 'lucide-react';
import { useState } from 'react';
import { api, call, type Schemas } from '../../api/client';
import { roleAtLeast, useMe } from '../../api/session';
import { formatDateTime } from '../../lib/format';
import { Badge } from '../../ui/badge';
import { Button } from '../../ui/button';
import { ErrorState, Loading, Notice } from '../../ui/feedback';
import { Card } from '../../ui/layout';
import { useToast } from '../../ui/toast';
import { AiProviderForm } from './ai-provider-form';
import { ConfirmDialog } from '../../ui/confirm-dialog';

type Provider = Schemas['AiProvider'];

const SOURCE: Record<Provider['source'], { label: string; tone: 'green' | 'blue' | 'gray'; text: string }> = {
  tenant: { label: 'Your own', tone: 'green', text: 'AI calls go to the provider this organisation configured.' },
  instance: {
    label: 'Instance default',
    tone: 'blue',
    text: 'AI calls go to the provider the operator of this server configured. Set your own to use your account.',
  },
  offline: {
    label: 'Offline',
    tone: 'gray',
    text: 'No model provider: summaries and classification run on the built-in offline engine; extraction and generation need a provider.',
  },
};

export function AiProviderCard() {
  const me = useMe();
  const canManage = roleAtLeast(me, 'admin');
  const queryClient = useQueryClient();
  const toast = useToast();
  const [editing, setEditing] = useState(false);
  const [removing, setRemoving] = useState(false);
  const provider = useQuery({
    queryKey: ['settings', 'ai-provider'],
    queryFn: () => call(api.GET('/api/v1/ai/provider')),
  });
  const test = useMutation({ mutationFn: () => call(api.POST('/api/v1/ai/provider/test')) });
  const remove = useMutation({
    mutationFn: () => call(api.DELETE('/api/v1/ai/provider')),
    onSuccess: (p) => {
      queryClient.setQueryData(['settings', 'ai-provider'], p);
      setRemoving(false);
      test.reset();
      toast('Provider removed.');
    },
  });
  const p = provider.data;
  return (
    <Card
      title="Model provider"
      actions={p ? <Badge tone={SOURCE[p.source].tone}>{SOURCE[p.source].label}</Badge> : undefined}
    >
      {provider.isPending ? (
        <Loading />
      ) : provider.error ? (
        <ErrorState error={provider.error} onRetry={() => void provider.refetch()} />
      ) : p && editing ? (
        <AiProviderForm
          current={p}
          onDone={() => {
            setEditing(false);
            test.reset();
          }}
        />
      ) : p ? (
        <div className="space-y-4 text-sm">
          <p className="text-slate-600 dark:text-slate-300">{SOURCE[p.source].text}</p>
          {p.source !== 'offline' && (
            <dl className="grid gap-x-6 gap-y-2 sm:grid-cols-[auto_1fr]">
              <dt className="text-slate-500 dark:text-slate-400">Kind</dt>
              <dd>{p.kind}</dd>
              <dt className="text-slate-500 dark:text-slate-400">Model</dt>
              <dd className="font-mono text-xs">{p.model}</dd>
              <dt className="text-slate-500 dark:text-slate-400">Base URL</dt>
              <dd className="font-mono text-xs break-all">{p.baseUrl ?? 'the kind’s default'}</dd>
              <dt className="text-slate-500 dark:text-slate-400">API key</dt>
              <dd>{p.hasKey ? 'stored (never shown)' : 'none'}</dd>
              {p.updatedAt && (
                <>
                  <dt className="text-slate-500 dark:text-slate-400">Updated</dt>
                  <dd>{formatDateTime(p.updatedAt)}</dd>
                </>
              )}
            </dl>
          )}
          {test.data &&
            (test.data.ok ? (
              <Notice tone="success">
                {test.data.provider} ({test.data.model}) answered in {test.data.latencyMs} ms using{' '}
                {test.data.usage.inputTokens + test.data.usage.outputTokens} tokens.
              </Notice>
            ) : (
              <Notice tone="danger">
                The test failed: {test.data.error?.message ?? 'no answer'}
                {test.data.error?.code && <span className="ml-1 text-xs opacity-75">({test.data.error.code})</span>}
              </Notice>
            ))}
          {test.error ? <ErrorState error={test.error} /> : null}
          {canManage ? (
            <div className="flex flex-wrap gap-2">
              <Button
                icon={<PlugZap className="size-4" aria-hidden />}
                busy={test.isPending}
                onClick={() => test.mutate()}
              >
                Test connection
              </Button>
              <Button variant="primary" onClick={() => setEditing(true)}>
                {p.source === 'tenant' ? 'Change provider' : 'Use your own provider'}
              </Button>
              {p.source === 'tenant' && (
                <Button variant="danger" onClick={() => setRemoving(true)}>
                  Remove
                </Button>
              )}
            </div>
          ) : (
            <p className="text-slate-500 dark:text-slate-400">Only admins and owners can change the provider.</p>
          )}
        </div>
      ) : null}
      <ConfirmDialog
        open={removing}
        onClose={() => {
          setRemoving(false);
          remove.reset();
        }}
        title="Remove your provider"
        confirmLabel="Remove"
        busy={remove.isPending}
        error={remove.error}
        onConfirm={() => remove.mutate()}
      >
        <p>
          The stored key is deleted. AI calls fall back to the instance’s provider if there is one, else to the offline
          engine, and workflow steps that need a model fail until a provider is set again.
        </p>
      </ConfirmDialog>
    </Card>
  );
}
