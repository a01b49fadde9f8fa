import type { StepKind } from './definition';

/** Palette groups, in order; a kind not listed lands in "Other". */
const GROUPS: { name: string; match: (type: string) => boolean }[] = [
  { name: 'Data & logic', match: (t) => ['transform', 'condition', 'switch', 'loop', 'code'].includes(t) },
  { name: 'Connect', match: (t) => ['http', 'webhook', 'items', 'job', 'workflow'].includes(t) },
  { name: 'Wait & people', match: (t) => ['delay', 'approval'].includes(t) },
  { name: 'AI', match: (t) => t.startsWith('ai.') },
];

export function groupKinds(kinds: readonly StepKind[], filter = ''): { name: string; kinds: StepKind[] }[] {
  const q = filter.trim().toLowerCase();
  const shown = kinds.filter((k) => !q || k.type.includes(q) || k.description.toLowerCase().includes(q));
  const groups = GROUPS.map((g) => ({ name: g.name, kinds: shown.filter((k) => g.match(k.type)) }));
  const other = shown.filter((k) => !GROUPS.some((g) => g.match(k.type)));
  return [...groups, { name: 'Other', kinds: other }].filter((g) => g.kinds.length > 0);
}
