import { Search, X } from 'lucide-react';
import { useEffect, useRef, useState } from 'react';
import { cn } from '../../lib/cn';
import { ITEM_SORTS, ITEM_STATUSES, type ItemsListState, normalizeTag } from '../../lib/items/list-query';
import { FilterChips } from '../../ui/filter-chips';
import { Field, Input, inputClass, Select } from '../../ui/form';

/** Search, status and tag filters and the sort of the Items list; every change goes to the URL. */
export function ItemsToolbar({
  state,
  onChange,
}: {
  state: ItemsListState;
  onChange: (change: Partial<Omit<ItemsListState, 'cursor'>>) => void;
}) {
  return (
    <div className="mb-4 grid grid-cols-2 items-start gap-3 md:grid-cols-[minmax(0,2fr)_minmax(0,1fr)_minmax(0,1fr)]">
      <SearchBox value={state.q} onSearch={(q) => onChange({ q })} />
      <TagFilter tags={state.tags} onChange={(tags) => onChange({ tags })} />
      <Field label="Sort">
        {(p) => {
          // The API's default sort is offered once, as "(default)", not twice.
          const fallback = state.q.trim() ? 'relevance' : '-createdAt';
          return (
            <Select
              {...p}
              value={state.sort === fallback ? '' : state.sort}
              onChange={(e) => onChange({ sort: e.target.value as ItemsListState['sort'] })}
            >
              <option value="">{state.q.trim() ? 'Best match' : 'Newest first'} (default)</option>
              {ITEM_SORTS.filter((s) => s.value !== fallback && (s.value !== 'relevance' || state.q.trim())).map(
                (s) => (
                  <option key={s.value} value={s.value}>
                    {s.label}
                  </option>
                ),
              )}
            </Select>
          );
        }}
      </Field>
      <FilterChips
        legend="Status"
        className="col-span-2 flex flex-wrap items-center gap-2 md:col-span-3"
        options={ITEM_STATUSES}
        selected={state.status}
        onToggle={(s) =>
          onChange({ status: state.status.includes(s) ? state.status.filter((x) => x !== s) : [...state.status, s] })
        }
        before={
          <span aria-hidden className="text-sm font-medium text-slate-700 dark:text-slate-300">
            Status:
          </span>
        }
        after={
          state.status.length > 0 && (
            <button
              type="button"
              className="text-xs text-slate-500 underline-offset-2 hover:underline dark:text-slate-400"
              onClick={() => onChange({ status: [] })}
            >
              Any status
            </button>
          )
        }
      />
    </div>
  );
}

/** Search as you type: the URL (and so the request) follows 300 ms after the last keystroke. */
function SearchBox({ value, onSearch }: { value: string; onSearch: (q: string) => void }) {
  const [text, setText] = useState(value);
  const latest = useRef(onSearch);
  latest.current = onSearch;
  // Back/forward or a link changes the URL under us: the box follows it.
  useEffect(() => setText(value), [value]);
  useEffect(() => {
    if (text === value) return;
    const timer = setTimeout(() => latest.current(text), 300);
    return () => clearTimeout(timer);
  }, [text, value]);
  return (
    <Field
      className="col-span-2 md:col-span-1"
      label="Search"
      hint='Typos are fine: "invoce" finds "Invoice". Use "quotes" for a phrase, -word to exclude.'
    >
      {(p) => (
        <div className="relative">
          <Search aria-hidden className="pointer-events-none absolute top-2.5 left-2.5 size-4 text-slate-400" />
          <Input
            {...p}
            type="search"
            className="pl-8"
            placeholder="Search items…"
            maxLength={200}
            value={text}
            onChange={(e) => setText(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter') onSearch(text);
            }}
          />
        </div>
      )}
    </Field>
  );
}

function TagFilter({ tags, onChange }: { tags: string[]; onChange: (tags: string[]) => void }) {
  const [text, setText] = useState('');
  const add = () => {
    const tag = normalizeTag(text);
    if (tag && !tags.includes(tag)) onChange([...tags, tag]);
    setText('');
  };
  return (
    <Field label="Tag" hint="Items with every tag listed.">
      {(p) => (
        <div
          className={cn(
            inputClass,
            'flex flex-wrap items-center gap-1 py-1.5 focus-within:ring-1 focus-within:ring-indigo-500',
          )}
        >
          {tags.map((t) => (
            <span
              key={t}
              className="inline-flex items-center gap-1 rounded-full bg-slate-100 px-2 py-0.5 text-xs dark:bg-slate-800"
            >
              {t}
              <button
                type="button"
                aria-label={`Remove tag filter ${t}`}
                className="rounded-full hover:text-red-600"
                onClick={() => onChange(tags.filter((x) => x !== t))}
              >
                <X className="size-3" />
              </button>
            </span>
          ))}
          <input
            {...p}
            className="min-w-16 flex-1 bg-transparent text-sm outline-none placeholder:text-slate-400"
            placeholder={tags.length ? '' : 'e.g. billing'}
            value={text}
            onChange={(e) => setText(e.target.value)}
            onBlur={() => text.trim() && add()}
            onKeyDown={(e) => {
              if (e.key === 'Enter' || e.key === ',') {
                e.preventDefault();
                add();
              } else if (e.key === 'Backspace' && !text && tags.length) onChange(tags.slice(0, -1));
            }}
          />
        </div>
      )}
    </Field>
  );
}
