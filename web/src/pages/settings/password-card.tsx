import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { ApiError, api, call } from '../../api/client';
import { proofFieldErrors } from '../../lib/settings/proof-errors';
import { Button } from '../../ui/button';
import { ErrorState, Notice } from '../../ui/feedback';
import { Field, Input } from '../../ui/form';
import { Card } from '../../ui/layout';

export function PasswordCard() {
  const queryClient = useQueryClient();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [confirm, setConfirm] = useState('');
  const [mismatch, setMismatch] = useState(false);
  const change = useMutation({
    mutationFn: () =>
      call(api.POST('/api/v1/auth/password/change', { body: { currentPassword: current, newPassword: next } })),
    onSuccess: () => {
      setCurrent('');
      setNext('');
      setConfirm('');
      // Other sessions ended server-side; the list shows it.
      void queryClient.invalidateQueries({ queryKey: ['settings', 'sessions'] });
    },
  });
  const errs =
    change.error instanceof ApiError ? proofFieldErrors(change.error, { password: 'currentPassword' }) : undefined;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (next !== confirm) {
      setMismatch(true);
      return;
    }
    setMismatch(false);
    change.mutate();
  };
  return (
    <Card title="Password">
      <form onSubmit={submit} className="max-w-md space-y-4" noValidate>
        <Field label="Current password" error={errs?.fields.currentPassword}>
          {(p) => (
            <Input
              {...p}
              type="password"
              autoComplete="current-password"
              required
              value={current}
              onChange={(e) => setCurrent(e.target.value)}
            />
          )}
        </Field>
        <Field
          label="New password"
          hint="At least 10 characters; a few unrelated words work well."
          error={errs?.fields.newPassword}
        >
          {(p) => (
            <Input
              {...p}
              type="password"
              autoComplete="new-password"
              required
              value={next}
              onChange={(e) => setNext(e.target.value)}
            />
          )}
        </Field>
        <Field label="Repeat the new password" error={mismatch ? 'The two new passwords differ.' : undefined}>
          {(p) => (
            <Input
              {...p}
              type="password"
              autoComplete="new-password"
              required
              value={confirm}
              onChange={(e) => setConfirm(e.target.value)}
            />
          )}
        </Field>
        {change.isSuccess && <Notice tone="success">Password changed. Your other sessions were signed out.</Notice>}
        {change.error && (!errs || errs.unplaced) ? <ErrorState error={change.error} /> : null}
        <Button type="submit" variant="primary" busy={change.isPending} disabled={!current || !next || !confirm}>
          Change password
        </Button>
      </form>
    </Card>
  );
}
