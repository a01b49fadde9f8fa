import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { ApiError, api, call, type Schemas } from '../../api/client';
import { Button } from '../../ui/button';
import { ErrorState } from '../../ui/feedback';
import { Field, Input, issuesByPath, Select } from '../../ui/form';
import { useToast } from '../../ui/toast';

type Kind = 'openai' | 'anthropic' | 'ollama' | 'openai-compatible';
const KINDS: { id: Kind; label: string; needsKey: boolean; needsUrl: boolean; model: string }[] = [
  { id: 'openai', label: 'OpenAI', needsKey: true, needsUrl: false, model: 'gpt-4o-mini' },
  { id: 'anthropic', label: 'Anthropic', needsKey: true, needsUrl: false, model: 'claude-3-5-haiku-latest' },
  { id: 'ollama', label: 'Ollama', needsKey: false, needsUrl: true, model: 'llama3.2' },
  { id: 'openai-compatible', label: 'OpenAI-compatible', needsKey: false, needsUrl: true, model: '' },
];
const isKind = (v: string): v is Kind => KINDS.some((k) => k.id === v);

/** Kind, model, base URL and key. The key is write-only: left empty, the stored one is kept. */
export function AiProviderForm({ current, onDone }: { current: Schemas['AiProvider']; onDone: () => void }) {
  const queryClient = useQueryClient();
  const toast = useToast();
  const own = current.source === 'tenant';
  const [kind, setKind] = useState<Kind>(own && isKind(current.kind) ? current.kind : 'openai');
  const [model, setModel] = useState(own ? current.model : '');
  const [baseUrl, setBaseUrl] = useState(own ? (current.baseUrl ?? '') : '');
  const [apiKey, setApiKey] = useState('');
  const info = KINDS.find((k) => k.id === kind) ?? KINDS[0];
  // The stored key survives only when kind and base URL stay as they are (the API's rule).
  const keepsKey = own && current.hasKey && kind === current.kind && (baseUrl.trim() || null) === current.baseUrl;
  const save = useMutation({
    mutationFn: () =>
      call(
        api.PUT('/api/v1/ai/provider', {
          body: {
            kind,
            model: model.trim(),
            baseUrl: baseUrl.trim() || null,
            ...(apiKey ? { apiKey } : {}),
          },
        }),
      ),
    onSuccess: (p) => {
      queryClient.setQueryData(['settings', 'ai-provider'], p);
      toast('Provider saved. Test the connection to be sure it answers.');
      onDone();
    },
  });
  const errs: Record<string, string> = save.error instanceof ApiError ? issuesByPath(save.error.issues) : {};
  // The SSRF guard refuses the base URL as a whole problem; it belongs next to that field.
  if (save.error instanceof ApiError && save.error.code === 'OUTBOUND_URL_FORBIDDEN')
    errs.baseUrl ??= save.error.message;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate();
  };
  return (
    <form onSubmit={submit} className="space-y-4" noValidate>
      <div className="grid gap-4 sm:grid-cols-2">
        <Field label="Kind" error={errs.kind}>
          {(p) => (
            <Select
              {...p}
              value={kind}
              onChange={(e) => {
                if (isKind(e.target.value)) setKind(e.target.value);
              }}
            >
              {KINDS.map((k) => (
                <option key={k.id} value={k.id}>
                  {k.label}
                </option>
              ))}
            </Select>
          )}
        </Field>
        <Field label="Model" error={errs.model}>
          {(p) => (
            <Input
              {...p}
              maxLength={200}
              placeholder={info?.model || 'model name'}
              value={model}
              onChange={(e) => setModel(e.target.value)}
            />
          )}
        </Field>
        <Field
          label={info?.needsUrl ? 'Base URL' : 'Base URL (optional)'}
          hint={
            info?.needsUrl
              ? 'Where the server is, e.g. https://llm.example.com/v1'
              : 'Leave empty for the official API.'
          }
          error={errs.baseUrl}
        >
          {(p) => (
            <Input {...p} type="url" maxLength={2048} value={baseUrl} onChange={(e) => setBaseUrl(e.target.value)} />
          )}
        </Field>
        <Field
          label={info?.needsKey ? 'API key' : 'API key (optional)'}
          hint={keepsKey ? 'A key is stored. Leave empty to keep it.' : 'Stored encrypted; never shown again.'}
          error={errs.apiKey}
        >
          {(p) => (
            <Input
              {...p}
              type="password"
              autoComplete="off"
              maxLength={4096}
              value={apiKey}
              onChange={(e) => setApiKey(e.target.value)}
            />
          )}
        </Field>
      </div>
      {save.error && Object.keys(errs).length === 0 ? <ErrorState error={save.error} /> : null}
      <div className="flex gap-2">
        <Button type="submit" variant="primary" busy={save.isPending} disabled={!model.trim()}>
          Save provider
        </Button>
        <Button onClick={onDone}>Cancel</Button>
      </div>
    </form>
  );
}
