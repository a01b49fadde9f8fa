import { Check, Circle } from 'lucide-react';
import { Field, Input } from '../../ui/form';
import { passwordHints } from './auth-messages';

/**
 * A new-password input with the policy's checks shown while typing. The server also refuses
 * common and easily guessed passwords (zxcvbn), which only it can judge: its words come as `error`.
 */
export function NewPasswordField({
  label = 'Password',
  value,
  onChange,
  error,
  who,
}: {
  label?: string;
  value: string;
  onChange: (v: string) => void;
  error?: string | undefined;
  who?: { email?: string; name?: string };
}) {
  const hints = passwordHints(value, who);
  const ok = value.length > 0 && hints.length === 0;
  return (
    <div className="space-y-1.5">
      <Field label={label} error={error}>
        {(p) => (
          <Input
            {...p}
            type="password"
            autoComplete="new-password"
            value={value}
            onChange={(e) => onChange(e.target.value)}
            required
            maxLength={256}
          />
        )}
      </Field>
      {/* The server's refusal (shown under the input) replaces the local checks until the next edit. */}
      {!error && (
        <ul className="space-y-0.5 text-xs text-slate-500 dark:text-slate-400" aria-live="polite">
          {value.length === 0 ? (
            <li>At least 10 characters, not a common password. A few unrelated words work well.</li>
          ) : ok ? (
            <li className="flex items-center gap-1 text-emerald-700 dark:text-emerald-400">
              <Check aria-hidden className="size-3.5" /> Long enough. The server also checks it is not easy to guess.
            </li>
          ) : (
            hints.map((h) => (
              <li key={h} className="flex items-center gap-1">
                <Circle aria-hidden className="size-3" /> {h}
              </li>
            ))
          )}
        </ul>
      )}
    </div>
  );
}
