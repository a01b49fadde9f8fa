import { useEffect, useState, type ReactNode } from 'react';
import { Field, Textarea } from '../../../ui/form';

/** Any JSON value as text: parsed on each edit, kept as typed (with an error) until it parses. */
export function JsonField({
  label,
  hint,
  value,
  onChange,
  rows = 4,
}: {
  label: ReactNode;
  hint?: string | undefined;
  value: unknown;
  onChange: (v: unknown) => void;
  rows?: number;
}) {
  const shown = value === undefined ? '' : JSON.stringify(value, null, 2);
  const [text, setText] = useState(shown);
  const [error, setError] = useState<string>();
  useEffect(() => {
    // Follow outside changes (another field, undo) unless the user is mid-edit with an error.
    setText((t) => {
      try {
        return JSON.stringify(t.trim() === '' ? undefined : JSON.parse(t)) === JSON.stringify(value) ? t : shown;
      } catch {
        return t;
      }
    });
  }, [shown, value]);
  return (
    <Field label={label} hint={hint ?? 'JSON'} error={error}>
      {(p) => (
        <Textarea
          {...p}
          rows={rows}
          spellCheck={false}
          value={text}
          className="nodrag"
          onChange={(e) => {
            setText(e.target.value);
            if (e.target.value.trim() === '') {
              setError(undefined);
              onChange(undefined);
              return;
            }
            try {
              onChange(JSON.parse(e.target.value));
              setError(undefined);
            } catch (err) {
              setError(`Not valid JSON yet: ${err instanceof Error ? err.message : String(err)}`);
            }
          }}
        />
      )}
    </Field>
  );
}
