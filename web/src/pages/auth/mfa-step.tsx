import { type FormEvent, useState } from 'react';
import { ApiError } from '../../api/client';
import { useSession } from '../../api/session';
import { Button } from '../../ui/button';
import { Notice } from '../../ui/feedback';
import { Field, Input } from '../../ui/form';
import { signInErrorMessage } from './auth-messages';

/**
 * The second factor: a code from the authenticator app or a recovery code. An expired or
 * exhausted MFA token cannot be retried, so that case sends the person back to the password.
 */
export function MfaStep({
  mfaToken,
  onDone,
  onRestart,
}: {
  mfaToken: string;
  onDone: () => void;
  onRestart: (why: string) => void;
}) {
  const { completeMfa } = useSession();
  const [code, setCode] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!code.trim()) {
      setError('Enter the code from your authenticator app, or a recovery code.');
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      await completeMfa(mfaToken, code.trim());
      onDone();
    } catch (err) {
      const message = err instanceof ApiError ? signInErrorMessage(err) : String(err);
      if (err instanceof ApiError && err.code === 'MFA_CHALLENGE_EXPIRED') onRestart(message);
      else {
        setError(message);
        setCode('');
      }
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} className="space-y-4" noValidate>
      {error && <Notice tone="danger">{error}</Notice>}
      <Field
        label="Authentication code"
        hint="The 6-digit code from your authenticator app, or one of your recovery codes."
      >
        {(p) => (
          <Input
            {...p}
            value={code}
            onChange={(e) => setCode(e.target.value)}
            autoComplete="one-time-code"
            autoFocus
            required
            maxLength={64}
            spellCheck={false}
            autoCapitalize="off"
            className="font-mono tracking-widest"
          />
        )}
      </Field>
      <Button type="submit" variant="primary" busy={busy} className="w-full">
        Verify
      </Button>
      <button
        type="button"
        onClick={() => onRestart('')}
        className="w-full rounded text-center text-sm text-slate-600 hover:underline focus-visible:ring-2 focus-visible:ring-indigo-500 focus-visible:outline-none dark:text-slate-400"
      >
        Use another account
      </button>
    </form>
  );
}
