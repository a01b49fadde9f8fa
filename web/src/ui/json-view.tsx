import { useState } from 'react';
import { cn } from '../lib/cn';

/** Pretty-printed JSON with a copy button; long documents start folded to a few lines. */
export function JsonView({ value, label, className }: { value: unknown; label?: string; className?: string }) {
  const text = value === undefined ? 'undefined' : JSON.stringify(value, null, 2);
  const long = text.split('\n').length > 16;
  const [open, setOpen] = useState(!long);
  const [copied, setCopied] = useState(false);
  return (
    <div
      className={cn(
        'rounded-md border border-slate-200 bg-slate-50 dark:border-slate-800 dark:bg-slate-950',
        className,
      )}
    >
      <div className="flex items-center justify-between gap-2 border-b border-slate-200 px-2 py-1 text-xs text-slate-500 dark:border-slate-800">
        <span>{label ?? 'JSON'}</span>
        <span className="flex gap-2">
          {long && (
            <button type="button" className="hover:underline" onClick={() => setOpen(!open)} aria-expanded={open}>
              {open ? 'Fold' : 'Unfold'}
            </button>
          )}
          <button
            type="button"
            className="hover:underline"
            onClick={async () => {
              await navigator.clipboard?.writeText(text);
              setCopied(true);
              setTimeout(() => setCopied(false), 1200);
            }}
          >
            {copied ? 'Copied' : 'Copy'}
          </button>
        </span>
      </div>
      <pre className={cn('overflow-auto p-2 text-xs leading-relaxed', open ? 'max-h-[32rem]' : 'max-h-40')}>{text}</pre>
    </div>
  );
}
