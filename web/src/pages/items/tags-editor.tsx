import { X } from 'lucide-react';
import { useState } from 'react';
import { cn } from '../../lib/cn';
import { addTags } from '../../lib/items/item-form';
import { inputClass } from '../../ui/form';

/** Tags as removable chips; Enter or a comma adds what was typed (several at once: "a, b"). */
export function TagsEditor({
  id,
  tags,
  onChange,
  disabled,
  ...aria
}: {
  id: string;
  tags: string[];
  onChange: (tags: string[]) => void;
  disabled?: boolean;
  'aria-describedby'?: string;
  'aria-invalid'?: boolean;
}) {
  const [text, setText] = useState('');
  const commit = () => {
    if (text.trim()) onChange(addTags(tags, text));
    setText('');
  };
  return (
    <div
      className={cn(
        inputClass,
        'flex flex-wrap items-center gap-1.5 py-1.5 focus-within:border-indigo-500 focus-within:ring-1 focus-within:ring-indigo-500',
        aria['aria-invalid'] && 'border-red-500',
      )}
    >
      {tags.map((t) => (
        <span
          key={t}
          className="inline-flex items-center gap-1 rounded-full bg-indigo-50 px-2 py-0.5 text-xs font-medium text-indigo-800 dark:bg-indigo-900/50 dark:text-indigo-200"
        >
          {t}
          {!disabled && (
            <button
              type="button"
              aria-label={`Remove tag ${t}`}
              className="rounded-full hover:text-red-600 focus-visible:ring-2 focus-visible:ring-indigo-500 focus-visible:outline-none"
              onClick={() => onChange(tags.filter((x) => x !== t))}
            >
              <X className="size-3" />
            </button>
          )}
        </span>
      ))}
      {!disabled && (
        <input
          id={id}
          {...aria}
          className="min-w-24 flex-1 bg-transparent py-0.5 text-sm outline-none placeholder:text-slate-400"
          placeholder={tags.length ? 'Add a tag…' : 'e.g. billing, acme'}
          maxLength={200}
          value={text}
          onChange={(e) => setText(e.target.value)}
          onBlur={commit}
          onKeyDown={(e) => {
            if (e.key === 'Enter' || e.key === ',') {
              e.preventDefault();
              commit();
            } else if (e.key === 'Backspace' && !text && tags.length) {
              onChange(tags.slice(0, -1));
            }
          }}
        />
      )}
      {disabled && tags.length === 0 && <span className="text-sm text-slate-400">No tags</span>}
    </div>
  );
}
