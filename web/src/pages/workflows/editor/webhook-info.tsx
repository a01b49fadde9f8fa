import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Copy, KeyRound } from 'lucide-react';
import { useState } from 'react';
import { api, call } from '../../../api/client';
import { Button } from '../../../ui/button';
import { Field, Input } from '../../../ui/form';
import { Notice } from '../../../ui/feedback';
import { useToast } from '../../../ui/toast';

export interface SavedWebhook {
  id: string;
  active: boolean;
  webhookUrlPath: string | null;
  signedWebhook: boolean;
}

function randomSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** The saved workflow's webhook URL (copy) and its optional HMAC signing secret. */
export function WebhookInfo({ saved, readOnly }: { saved: SavedWebhook | undefined; readOnly: boolean }) {
  const toast = useToast();
  const qc = useQueryClient();
  const [secret, setSecret] = useState('');
  const setSecretM = useMutation({
    mutationFn: (webhookSecret: string | null) =>
      call(api.PATCH('/api/v1/workflows/{id}', { params: { path: { id: saved?.id ?? '' } }, body: { webhookSecret } })),
    onSuccess: (_, s) => {
      setSecret('');
      toast(s ? 'Signing secret saved: requests must now be signed.' : 'Signing secret removed.', 'success');
      void qc.invalidateQueries({ queryKey: ['workflows', saved?.id] });
    },
    onError: (e) => toast(e instanceof Error ? e.message : String(e), 'danger'),
  });

  if (!saved?.webhookUrlPath) {
    return <Notice tone="info">Save the workflow to get its webhook URL.</Notice>;
  }
  const url = `${location.origin}${saved.webhookUrlPath}`;
  return (
    <div className="space-y-3 rounded-md border border-slate-200 p-3 dark:border-slate-700">
      <Field
        label="Webhook URL"
        hint={
          saved.active ? 'POST JSON here to start a run.' : 'Activate the workflow: until then the URL answers 404.'
        }
      >
        {(p) => (
          <div className="flex gap-2">
            <Input
              {...p}
              readOnly
              value={url}
              className="font-mono text-xs"
              data-testid="webhook-url"
              onFocus={(e) => e.target.select()}
            />
            <Button
              icon={<Copy className="size-4" />}
              onClick={async () => {
                await navigator.clipboard?.writeText(url);
                toast('Webhook URL copied.', 'success');
              }}
            >
              Copy webhook URL
            </Button>
          </div>
        )}
      </Field>
      <p className="text-xs text-slate-500 dark:text-slate-400">
        Try it:{' '}
        <code className="break-all">
          curl -X POST -H 'content-type: application/json' -d '{'{"n": 1}'}' {url}
        </code>
      </p>
      {!readOnly && (
        <div className="space-y-2">
          <h3 className="flex items-center gap-1.5 text-sm font-semibold">
            <KeyRound className="size-4" /> Signing secret {saved.signedWebhook ? '(set)' : '(none)'}
          </h3>
          <p className="text-xs text-slate-500 dark:text-slate-400">
            With a secret, each request must carry{' '}
            <code>X-Switchyard-Signature: sha256=&lt;hex HMAC-SHA256 of the raw body&gt;</code>; others get 401. The
            secret is stored sealed and never shown again.
          </p>
          <div className="flex flex-wrap items-end gap-2">
            <Field label="New signing secret" hint="At least 16 characters." className="min-w-48 flex-1">
              {(p) => (
                <Input
                  {...p}
                  value={secret}
                  minLength={16}
                  maxLength={200}
                  onChange={(e) => setSecret(e.target.value)}
                  autoComplete="off"
                />
              )}
            </Field>
            <Button variant="ghost" onClick={() => setSecret(randomSecret())}>
              Generate
            </Button>
            <Button busy={setSecretM.isPending} disabled={secret.length < 16} onClick={() => setSecretM.mutate(secret)}>
              Set secret
            </Button>
            {saved.signedWebhook && (
              <Button
                variant="danger"
                busy={setSecretM.isPending}
                onClick={() => {
                  if (confirm('Remove the signing secret? Unsigned requests will be accepted.'))
                    setSecretM.mutate(null);
                }}
              >
                Remove secret
              </Button>
            )}
          </div>
        </div>
      )}
    </div>
  );
}
