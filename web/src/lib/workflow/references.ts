import type { EdgeDef, TriggerType } from './definition';

/**
 * What an expression may read (docs/workflows.md, "Expressions"): `trigger.*`, and the outputs of
 * steps upstream of the one being edited. Offering only upstream ids is the same rule the server
 * warns about (REFERENCE_NOT_UPSTREAM).
 */

/** Every step that leads to `stepId` through edges, nearest first (breadth-first). */
export function upstreamSteps(stepId: string, edges: readonly EdgeDef[]): string[] {
  const parents = new Map<string, string[]>();
  for (const e of edges) parents.set(e.to, [...(parents.get(e.to) ?? []), e.from]);
  const seen = new Set<string>([stepId]);
  const out: string[] = [];
  const queue = [...(parents.get(stepId) ?? [])];
  while (queue.length > 0) {
    const id = queue.shift() as string;
    if (seen.has(id)) continue;
    seen.add(id);
    out.push(id);
    queue.push(...(parents.get(id) ?? []));
  }
  return out;
}

/** The members of `trigger` per trigger type (what the server puts in a run's input). */
export const TRIGGER_MEMBERS: Record<TriggerType, { name: string; detail: string }[]> = {
  manual: [
    { name: 'body', detail: 'the JSON input the run was started with' },
    { name: 'startedBy', detail: 'user:<id> or api_key:<id>' },
  ],
  webhook: [
    { name: 'body', detail: 'the request body' },
    { name: 'headers', detail: 'request headers (lower-case names)' },
    { name: 'query', detail: 'query-string parameters' },
  ],
  schedule: [{ name: 'firedAt', detail: 'when the schedule fired (ISO 8601)' }],
  event: [{ name: 'event', detail: 'the event: type, ids and the changed record' }],
};

export interface Suggestion {
  /** Shown in the list. */
  label: string;
  detail: string;
  /** Replaces `text.slice(from, cursor)`. */
  insert: string;
  from: number;
}

/**
 * Suggestions at `cursor` in `text`: after `steps.` the upstream step ids (inserting
 * `steps.<id>.output`), after `trigger.` its members, right after `{{` (templates) both. The
 * partial word typed so far filters the list.
 */
export function suggestReferences(
  text: string,
  cursor: number,
  ctx: { upstream: readonly string[]; trigger: TriggerType },
): Suggestion[] {
  const before = text.slice(0, cursor);
  const stepsMatch = /\bsteps\.([A-Za-z0-9_]*)$/.exec(before);
  const triggerMatch = /\btrigger\.([A-Za-z0-9_]*)$/.exec(before);
  const stepItems = (from: number, partial: string) =>
    ctx.upstream
      .filter((id) => id.startsWith(partial))
      .map((id) => ({
        label: `steps.${id}.output`,
        detail: 'output of an upstream step',
        insert: `steps.${id}.output`,
        from,
      }));
  const triggerItems = (from: number, partial: string) =>
    TRIGGER_MEMBERS[ctx.trigger]
      .filter((m) => m.name.startsWith(partial))
      .map((m) => ({ label: `trigger.${m.name}`, detail: m.detail, insert: `trigger.${m.name}`, from }));

  if (stepsMatch) return stepItems(stepsMatch.index, stepsMatch[1] ?? '');
  if (triggerMatch) return triggerItems(triggerMatch.index, triggerMatch[1] ?? '');
  const open = /\{\{\s*([A-Za-z0-9_]*)$/.exec(before);
  if (open) {
    const partial = open[1] ?? '';
    const from = cursor - partial.length;
    const pad = before.endsWith('{{') ? ' ' : '';
    return [...stepItems(from, ''), ...triggerItems(from, '')]
      .filter((s) => s.insert.startsWith(partial) || partial === '')
      .map((s) => ({ ...s, insert: `${pad}${s.insert} }}` }));
  }
  return [];
}
