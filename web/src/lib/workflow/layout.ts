import type { Position, WorkflowDef } from './definition';

/** Spacing of the automatic layout, in canvas pixels. */
export const LAYER_GAP = 250;
export const ROW_GAP = 120;

/**
 * A layered left → right layout for definitions without saved positions: the trigger in column
 * 0, each step one column right of its deepest predecessor (longest path), rows centred per
 * column. Edges of a cycle (invalid, but the editor must still draw it) are ignored.
 * Keys: step ids, and `__trigger` for the trigger.
 */
export function autoLayout(def: Pick<WorkflowDef, 'steps' | 'edges'>): Map<string, Position> {
  const ids = def.steps.map((s) => s.id);
  const known = new Set(ids);
  const preds = new Map<string, string[]>(ids.map((id) => [id, []]));
  for (const e of def.edges) if (known.has(e.from) && known.has(e.to) && e.from !== e.to) preds.get(e.to)?.push(e.from);

  const depth = new Map<string, number>();
  const visiting = new Set<string>();
  const depthOf = (id: string): number => {
    const d = depth.get(id);
    if (d !== undefined) return d;
    if (visiting.has(id)) return 0; // a cycle: break it here
    visiting.add(id);
    const ps = preds.get(id) ?? [];
    const v = ps.length === 0 ? 1 : 1 + Math.max(...ps.map(depthOf));
    visiting.delete(id);
    depth.set(id, v);
    return v;
  };

  const columns = new Map<number, string[]>();
  for (const id of ids) {
    const d = depthOf(id);
    columns.set(d, [...(columns.get(d) ?? []), id]);
  }
  const tallest = Math.max(1, ...[...columns.values()].map((c) => c.length));
  const out = new Map<string, Position>();
  const place = (id: string, col: number, row: number, count: number) =>
    out.set(id, { x: col * LAYER_GAP, y: ((tallest - count) / 2 + row) * ROW_GAP });
  place('__trigger', 0, 0, 1);
  for (const [col, list] of columns) list.forEach((id, row) => place(id, col, row, list.length));
  return out;
}
