/**
 * The branch labels a step can take, computed from its config the way the server's step kinds do
 * (docs/workflows.md, "Step kinds"): GET /step-kinds only says whether a kind branches, so the
 * editor derives the labels to draw one source handle per branch.
 */

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const names = (list: unknown): string[] =>
  Array.isArray(list)
    ? list.flatMap((c) => (isRecord(c) && typeof c.name === 'string' && c.name !== '' ? [c.name] : []))
    : [];

/** Labels in display order, or `null` when the kind does not branch (one plain output handle). */
export function branchLabels(type: string, config: unknown, kindBranches = false): string[] | null {
  const c = isRecord(config) ? config : {};
  switch (type) {
    case 'condition':
      return ['true', 'false'];
    case 'approval':
      return ['approved', 'rejected'];
    case 'switch': {
      const fallback = typeof c.default === 'string' && c.default !== '' ? c.default : 'default';
      return unique([...names(c.cases), fallback]);
    }
    case 'ai.classify':
      return unique([...names(c.labels), 'unmatched']);
    default:
      // A branching kind this editor does not know: edges from it may carry any label.
      return kindBranches ? [] : null;
  }
}

function unique(list: string[]): string[] {
  return [...new Set(list)];
}
