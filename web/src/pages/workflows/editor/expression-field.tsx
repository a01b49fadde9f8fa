import { useId, useRef, useState } from 'react';
import { cn } from '../../../lib/cn';
import type { TriggerType } from '../../../lib/workflow/definition';
import { suggestReferences, type Suggestion } from '../../../lib/workflow/references';
import { inputClass } from '../../../ui/form';

export interface RefContext {
  upstream: readonly string[];
  trigger: TriggerType;
}

/**
 * A text field (JSONata or a `{{ }}` template) that offers references as you type: `steps.`
 * lists the upstream steps, `trigger.` its members, `{{` both. Arrow keys move, Enter or Tab
 * takes, Escape closes — an ARIA combobox, so screen readers announce the list.
 */
export function ExpressionField({
  id,
  value,
  onChange,
  refs,
  mono,
  rows = 3,
  placeholder,
  describedBy,
  invalid,
}: {
  id: string;
  value: string;
  onChange: (v: string) => void;
  refs: RefContext;
  mono: boolean;
  rows?: number;
  placeholder?: string;
  describedBy?: string | undefined;
  invalid?: boolean | undefined;
}) {
  const ref = useRef<HTMLTextAreaElement>(null);
  const [items, setItems] = useState<Suggestion[]>([]);
  const [active, setActive] = useState(0);
  const listId = useId();

  const refresh = (text: string, cursor: number) => {
    setItems(suggestReferences(text, cursor, refs).slice(0, 12));
    setActive(0);
  };
  const take = (s: Suggestion) => {
    const el = ref.current;
    const cursor = el?.selectionStart ?? value.length;
    const next = value.slice(0, s.from) + s.insert + value.slice(cursor);
    onChange(next);
    setItems([]);
    const at = s.from + s.insert.length;
    requestAnimationFrame(() => {
      el?.focus();
      el?.setSelectionRange(at, at);
    });
  };

  return (
    <div className="relative">
      <textarea
        ref={ref}
        id={id}
        rows={rows}
        value={value}
        placeholder={placeholder}
        spellCheck={false}
        role="combobox"
        aria-autocomplete="list"
        aria-expanded={items.length > 0}
        aria-controls={listId}
        aria-activedescendant={items.length > 0 ? `${listId}-${active}` : undefined}
        aria-describedby={describedBy}
        aria-invalid={invalid || undefined}
        className={cn(inputClass, mono && 'font-mono text-xs', 'nodrag')}
        onChange={(e) => {
          onChange(e.target.value);
          refresh(e.target.value, e.target.selectionStart);
        }}
        onBlur={() => setTimeout(() => setItems([]), 150)}
        onKeyDown={(e) => {
          if (items.length === 0) {
            if (e.key === ' ' && e.ctrlKey) {
              e.preventDefault();
              refresh(`${value.slice(0, e.currentTarget.selectionStart)}{{`, e.currentTarget.selectionStart + 2);
            }
            return;
          }
          if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
            e.preventDefault();
            setActive((a) => (a + (e.key === 'ArrowDown' ? 1 : items.length - 1)) % items.length);
          } else if (e.key === 'Enter' || e.key === 'Tab') {
            const s = items[active];
            if (s) {
              e.preventDefault();
              take(s);
            }
          } else if (e.key === 'Escape') {
            e.preventDefault();
            e.stopPropagation();
            setItems([]);
          }
        }}
      />
      {items.length > 0 && (
        <ul
          id={listId}
          role="listbox"
          aria-label="References"
          className="absolute z-20 mt-1 max-h-56 w-full overflow-auto rounded-md border border-slate-200 bg-white py-1 text-xs shadow-lg dark:border-slate-700 dark:bg-slate-900"
        >
          {items.map((s, i) => (
            <li
              key={s.label}
              id={`${listId}-${i}`}
              role="option"
              aria-selected={i === active}
              className={cn(
                'cursor-pointer px-2 py-1',
                i === active ? 'bg-indigo-50 dark:bg-indigo-900/40' : 'hover:bg-slate-50 dark:hover:bg-slate-800',
              )}
              onMouseDown={(e) => {
                e.preventDefault();
                take(s);
              }}
            >
              <span className="font-mono text-slate-900 dark:text-slate-100">{s.label}</span>
              <span className="ml-2 text-slate-500">{s.detail}</span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
