// What changed between two versions of a workflow definition: a summary in words (steps added,
// removed, changed; edges; trigger; settings) and a line diff of the pretty JSON. Definitions
// arrive as `unknown` from the API, so everything here reads them defensively: a malformed
// definition still diffs as text, it just has no steps to summarise.
import { diffLines } from 'diff';

interface StepLike {
  id: string;
  value: Record<string, unknown>;
}

export interface StepChange {
  id: string;
  /** Top-level step fields whose value differs (`type`, `config`, `name`, `disabled`, …). */
  fields: string[];
}

export interface DefinitionChanges {
  stepsAdded: string[];
  stepsRemoved: string[];
  stepsChanged: StepChange[];
  edgesAdded: number;
  edgesRemoved: number;
  triggerChanged: boolean;
  settingsChanged: boolean;
  /** The editor's node positions (`definition.layout`), which the engine ignores. */
  layoutChanged: boolean;
  /** True when the two definitions are the same JSON (whatever the key order). */
  identical: boolean;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function stepsOf(def: unknown): StepLike[] {
  if (!isRecord(def) || !Array.isArray(def.steps)) return [];
  return def.steps.flatMap((s): StepLike[] =>
    isRecord(s) && typeof s.id === 'string' ? [{ id: s.id, value: s }] : [],
  );
}

/** JSON with object keys sorted, so the same value always compares equal. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    isRecord(v)
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, v[k]]),
        )
      : v,
  );
}

function edgeKeys(def: unknown): string[] {
  if (!isRecord(def) || !Array.isArray(def.edges)) return [];
  return def.edges.map((e) => canonicalJson(e));
}

/** How many of `a` are not matched by one of `b` (a multiset difference, since edges can repeat). */
function missingCount(a: string[], b: string[]): number {
  const pool = new Map<string, number>();
  for (const k of b) pool.set(k, (pool.get(k) ?? 0) + 1);
  let missing = 0;
  for (const k of a) {
    const left = pool.get(k) ?? 0;
    if (left > 0) pool.set(k, left - 1);
    else missing += 1;
  }
  return missing;
}

const field = (def: unknown, key: string): unknown => (isRecord(def) ? def[key] : undefined);

/** Steps are matched by id: a step whose id changed reads as one removed and one added. */
export function summarizeChanges(before: unknown, after: unknown): DefinitionChanges {
  const old = new Map(stepsOf(before).map((s) => [s.id, s.value]));
  const next = stepsOf(after);
  const nextIds = new Set(next.map((s) => s.id));
  const stepsChanged: StepChange[] = [];
  for (const s of next) {
    const prev = old.get(s.id);
    if (!prev) continue;
    const keys = [...new Set([...Object.keys(prev), ...Object.keys(s.value)])].filter((k) => k !== 'id').sort();
    const fields = keys.filter((k) => canonicalJson(prev[k]) !== canonicalJson(s.value[k]));
    if (fields.length > 0) stepsChanged.push({ id: s.id, fields });
  }
  const oldEdges = edgeKeys(before);
  const newEdges = edgeKeys(after);
  return {
    stepsAdded: next.filter((s) => !old.has(s.id)).map((s) => s.id),
    stepsRemoved: [...old.keys()].filter((id) => !nextIds.has(id)),
    stepsChanged,
    edgesAdded: missingCount(newEdges, oldEdges),
    edgesRemoved: missingCount(oldEdges, newEdges),
    triggerChanged: canonicalJson(field(before, 'trigger')) !== canonicalJson(field(after, 'trigger')),
    settingsChanged: canonicalJson(field(before, 'settings')) !== canonicalJson(field(after, 'settings')),
    layoutChanged: canonicalJson(field(before, 'layout')) !== canonicalJson(field(after, 'layout')),
    identical: canonicalJson(before) === canonicalJson(after),
  };
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** The summary as short phrases for people: "2 steps added (a, b)", "trigger changed". */
export function describeChanges(c: DefinitionChanges): string[] {
  if (c.identical) return ['No differences'];
  const out: string[] = [];
  if (c.triggerChanged) out.push('Trigger changed');
  if (c.stepsAdded.length) out.push(`${plural(c.stepsAdded.length, 'step')} added (${c.stepsAdded.join(', ')})`);
  if (c.stepsRemoved.length)
    out.push(`${plural(c.stepsRemoved.length, 'step')} removed (${c.stepsRemoved.join(', ')})`);
  if (c.stepsChanged.length)
    out.push(
      `${plural(c.stepsChanged.length, 'step')} changed (${c.stepsChanged
        .map((s) => `${s.id}: ${s.fields.join(', ')}`)
        .join('; ')})`,
    );
  if (c.edgesAdded) out.push(`${plural(c.edgesAdded, 'edge')} added`);
  if (c.edgesRemoved) out.push(`${plural(c.edgesRemoved, 'edge')} removed`);
  if (c.settingsChanged) out.push('Settings changed');
  if (c.layoutChanged) out.push('Layout (node positions) changed');
  // Differences in fields the summary does not name.
  if (out.length === 0) out.push('Other changes');
  return out;
}

export interface DiffLine {
  kind: 'added' | 'removed' | 'same';
  text: string;
  /** 1-based line number in the older text (absent for added lines). */
  oldNo?: number;
  /** 1-based line number in the newer text (absent for removed lines). */
  newNo?: number;
}

export type DiffRow = DiffLine | { kind: 'gap'; hidden: number };

export const prettyJson = (value: unknown): string => JSON.stringify(value ?? null, null, 2);

// PostgreSQL's jsonb stores keys in its own order (shortest first), so a definition comes back
// as {"edges", "steps", "trigger"} with "to" before "from". People read and diff it in the order
// the docs write it; other keys follow alphabetically.
const KEY_ORDER = [
  'trigger',
  'steps',
  'edges',
  'settings',
  'layout',
  'id',
  'type',
  'name',
  'from',
  'to',
  'when',
  'config',
  'retry',
  'timeoutMs',
  'disabled',
];
const rank = (k: string) => {
  const i = KEY_ORDER.indexOf(k);
  return i === -1 ? KEY_ORDER.length : i;
};

/** A definition as pretty JSON in reading order (trigger, steps, edges…; id, type, name, config…). */
export function prettyDefinition(value: unknown): string {
  return JSON.stringify(
    value ?? null,
    (_key, v: unknown) =>
      isRecord(v)
        ? Object.fromEntries(
            Object.keys(v)
              .sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0))
              .map((k) => [k, v[k]]),
          )
        : v,
    2,
  );
}

/** Line diff of two texts, one row per line, numbered on both sides. */
export function diffTextLines(oldText: string, newText: string): DiffLine[] {
  const rows: DiffLine[] = [];
  let oldNo = 1;
  let newNo = 1;
  for (const part of diffLines(oldText, newText)) {
    const lines = part.value.replace(/\n$/, '').split('\n');
    for (const text of lines) {
      if (part.added) rows.push({ kind: 'added', text, newNo: newNo++ });
      else if (part.removed) rows.push({ kind: 'removed', text, oldNo: oldNo++ });
      else rows.push({ kind: 'same', text, oldNo: oldNo++, newNo: newNo++ });
    }
  }
  return rows;
}

/**
 * Folds runs of unchanged lines longer than 2 × `context` into a gap, keeping `context` lines
 * around each change, so a one-line edit of a long definition is readable at a glance.
 */
export function foldUnchanged(rows: DiffLine[], context = 3): DiffRow[] {
  const out: DiffRow[] = [];
  let i = 0;
  while (i < rows.length) {
    if (rows[i]?.kind !== 'same') {
      out.push(rows[i] as DiffLine);
      i += 1;
      continue;
    }
    let j = i;
    while (j < rows.length && rows[j]?.kind === 'same') j += 1;
    const run = rows.slice(i, j);
    const keepHead = i === 0 ? 0 : context;
    const keepTail = j === rows.length ? 0 : context;
    if (run.length > keepHead + keepTail + 1) {
      out.push(...run.slice(0, keepHead), { kind: 'gap', hidden: run.length - keepHead - keepTail });
      out.push(...run.slice(run.length - keepTail));
    } else out.push(...run);
    i = j;
  }
  return out;
}
