import { Link2, X } from 'lucide-react';
import { useState } from 'react';
import { Button } from '../../../ui/button';
import { Field, Select } from '../../../ui/form';

export interface Incoming {
  edgeId: string;
  from: string;
  when: string | undefined;
}

/**
 * The steps this one runs after, editable without a pointer: the keyboard (and a phone) way to
 * draw edges. Each choice is a source step, or one branch of a branching step.
 */
export function Connections({
  stepId,
  incoming,
  sources,
  onConnect,
  onDisconnect,
  readOnly,
}: {
  stepId: string;
  incoming: Incoming[];
  /** Other steps with their branch labels (null: not branching). */
  sources: { id: string; labels: string[] | null }[];
  onConnect: (from: string, when: string | undefined) => void;
  onDisconnect: (edgeId: string) => void;
  readOnly: boolean;
}) {
  const [choice, setChoice] = useState('');
  const options = sources.flatMap((s) =>
    s.labels && s.labels.length > 0
      ? s.labels.map((l) => ({ value: JSON.stringify([s.id, l]), text: `${s.id} — when ${l}` }))
      : [{ value: JSON.stringify([s.id, null]), text: s.id }],
  );
  const taken = new Set(incoming.map((i) => JSON.stringify([i.from, i.when ?? null])));
  return (
    <section aria-labelledby="runs-after" className="space-y-2">
      <h3 id="runs-after" className="text-sm font-semibold">
        Runs after
      </h3>
      {incoming.length === 0 ? (
        <p className="text-xs text-slate-500 dark:text-slate-400">
          Nothing: {stepId} starts as soon as the run starts (right after the trigger).
        </p>
      ) : (
        <ul className="flex flex-wrap gap-1.5">
          {incoming.map((i) => (
            <li
              key={i.edgeId}
              className="inline-flex items-center gap-1 rounded-full border border-slate-200 py-0.5 pr-1 pl-2 font-mono text-xs dark:border-slate-700"
            >
              {i.from}
              {i.when !== undefined && <span className="text-indigo-600 dark:text-indigo-300">when {i.when}</span>}
              {!readOnly && (
                <button
                  type="button"
                  className="rounded-full p-0.5 hover:bg-slate-100 dark:hover:bg-slate-800"
                  aria-label={`Disconnect ${i.from}${i.when !== undefined ? ` (${i.when})` : ''}`}
                  onClick={() => onDisconnect(i.edgeId)}
                >
                  <X className="size-3" />
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      {!readOnly && options.length > 0 && (
        <div className="flex items-end gap-2">
          <Field label="Connect from" className="min-w-0 flex-1">
            {(p) => (
              <Select {...p} value={choice} onChange={(e) => setChoice(e.target.value)}>
                <option value="">(choose a step)</option>
                {options.map((o) => (
                  <option key={o.value} value={o.value} disabled={taken.has(o.value)}>
                    {o.text}
                  </option>
                ))}
              </Select>
            )}
          </Field>
          <Button
            icon={<Link2 className="size-4" />}
            disabled={!choice}
            onClick={() => {
              const [from, when] = JSON.parse(choice) as [string, string | null];
              onConnect(from, when ?? undefined);
              setChoice('');
            }}
          >
            Connect
          </Button>
        </div>
      )}
    </section>
  );
}
