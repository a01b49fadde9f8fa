import { Plus } from 'lucide-react';
import { useState } from 'react';
import type { StepKind } from '../../../lib/workflow/definition';
import { groupKinds } from '../../../lib/workflow/kinds';
import { Input } from '../../../ui/form';

export const DRAG_TYPE = 'application/x-switchyard-step';

/**
 * The step kinds, grouped: drag one onto the canvas, or press it (keyboard, touch) to add it
 * next to the selected step.
 */
export function Palette({ kinds, onAdd }: { kinds: StepKind[]; onAdd: (type: string) => void }) {
  const [filter, setFilter] = useState('');
  return (
    <nav aria-label="Step palette" className="space-y-3" data-testid="palette">
      <Input
        type="search"
        aria-label="Filter steps"
        placeholder="Filter steps…"
        value={filter}
        onChange={(e) => setFilter(e.target.value)}
      />
      {groupKinds(kinds, filter).map((g) => (
        <section key={g.name} aria-label={g.name}>
          <h3 className="mb-1 text-[11px] font-semibold tracking-wide text-slate-500 uppercase dark:text-slate-400">
            {g.name}
          </h3>
          <ul className="space-y-1">
            {g.kinds.map((k) => (
              <li key={k.type}>
                <button
                  type="button"
                  draggable
                  onDragStart={(e) => {
                    e.dataTransfer.setData(DRAG_TYPE, k.type);
                    e.dataTransfer.effectAllowed = 'copy';
                  }}
                  onClick={() => onAdd(k.type)}
                  aria-label={`Add ${k.type} step`}
                  title={k.description}
                  className="group flex w-full cursor-grab items-start gap-2 rounded-md border border-slate-200 bg-white px-2 py-1.5 text-left hover:border-indigo-400 hover:bg-indigo-50 active:cursor-grabbing dark:border-slate-700 dark:bg-slate-900 dark:hover:bg-indigo-950/40"
                >
                  <Plus
                    className="mt-0.5 size-3.5 shrink-0 text-slate-400 group-hover:text-indigo-500"
                    aria-hidden="true"
                  />
                  <span className="min-w-0">
                    <span className="block font-mono text-xs font-semibold text-slate-800 dark:text-slate-100">
                      {k.type}
                    </span>
                    <span className="line-clamp-2 text-[11px] text-slate-500 dark:text-slate-400">{k.description}</span>
                  </span>
                </button>
              </li>
            ))}
          </ul>
        </section>
      ))}
    </nav>
  );
}
