// The item form's values, their conversions to and from the API's body, and how the API's
// answers (field issues, version conflicts) map back onto the form.
import { normalizeTag } from './list-query';

export type MetadataKind = 'text' | 'json';
export interface MetadataRow {
  key: string;
  value: string;
  /** `text`: the value is a string as typed; `json`: it is parsed (numbers, booleans, objects). */
  kind: MetadataKind;
}

export interface ItemFormValues {
  name: string;
  description: string;
  status: 'active' | 'draft' | 'archived';
  tags: string[];
  metadata: MetadataRow[];
}

export interface ItemLike {
  name: string;
  description: string;
  status: 'active' | 'draft' | 'archived';
  tags: string[];
  metadata: Record<string, unknown>;
  version: number;
}

export const EMPTY_FORM: ItemFormValues = { name: '', description: '', status: 'active', tags: [], metadata: [] };

export function metadataToRows(metadata: Record<string, unknown>): MetadataRow[] {
  return Object.entries(metadata).map(([key, v]) =>
    typeof v === 'string' ? { key, value: v, kind: 'text' } : { key, value: JSON.stringify(v), kind: 'json' },
  );
}

/** Rows to the metadata object, or the first row problem keyed by the row (`metadata.2.value`). */
export function rowsToMetadata(
  rows: readonly MetadataRow[],
): { ok: true; value: Record<string, unknown> } | { ok: false; errors: Record<string, string> } {
  const value: Record<string, unknown> = {};
  const errors: Record<string, string> = {};
  const seen = new Set<string>();
  rows.forEach((row, i) => {
    const key = row.key.trim();
    if (!key && !row.value.trim()) return; // a blank row is ignored, not an error
    if (!key) errors[`metadata.${i}.key`] = 'Give this value a key.';
    else if (seen.has(key)) errors[`metadata.${i}.key`] = `"${key}" is used twice.`;
    else if (key === '__proto__' || key === 'constructor') errors[`metadata.${i}.key`] = 'This key is reserved.';
    seen.add(key);
    if (row.kind === 'json') {
      try {
        value[key] = JSON.parse(row.value);
      } catch {
        errors[`metadata.${i}.value`] = 'Not valid JSON (strings need "quotes").';
      }
    } else {
      value[key] = row.value;
    }
  });
  return Object.keys(errors).length ? { ok: false, errors } : { ok: true, value };
}

export function itemToForm(item: ItemLike): ItemFormValues {
  return {
    name: item.name,
    description: item.description,
    status: item.status,
    tags: [...item.tags],
    metadata: metadataToRows(item.metadata),
  };
}

/** Adds typed tags ("a, b" adds both), normalised and de-duplicated as the API stores them. */
export function addTags(current: readonly string[], typed: string): string[] {
  const out = [...current];
  for (const part of typed.split(',')) {
    const tag = normalizeTag(part);
    if (tag && !out.includes(tag)) out.push(tag);
  }
  return out;
}

/**
 * The API's field issues (`issuesByPath` keys such as `name`, `tags.3`, `metadata`) gathered onto
 * the form's fields, so each message shows next to the control it is about.
 */
export function fieldErrors(byPath: Record<string, string>): Partial<Record<keyof ItemFormValues | 'form', string>> {
  const out: Partial<Record<keyof ItemFormValues | 'form', string>> = {};
  for (const [path, message] of Object.entries(byPath)) {
    const head = path.split('.')[0] ?? '';
    const field = (['name', 'description', 'status', 'tags', 'metadata'] as const).find((f) => f === head);
    const key = field ?? 'form';
    const index = field === 'tags' ? path.split('.')[1] : undefined;
    out[key] ??= index !== undefined ? `Tag ${Number(index) + 1}: ${message}` : message;
  }
  return out;
}

/** A 412/409 from the API: someone else saved since this version was read. */
export function isVersionConflict(err: { status: number; code: string } | undefined): boolean {
  return Boolean(
    err && (err.code === 'ITEM_PRECONDITION_FAILED' || err.code === 'ITEM_VERSION_CONFLICT' || err.status === 412),
  );
}

/** The fields that differ between two versions, to say what the other person changed. */
export function changedFields(a: ItemLike, b: ItemLike): (keyof ItemFormValues)[] {
  const out: (keyof ItemFormValues)[] = [];
  if (a.name !== b.name) out.push('name');
  if (a.description !== b.description) out.push('description');
  if (a.status !== b.status) out.push('status');
  if (JSON.stringify(a.tags) !== JSON.stringify(b.tags)) out.push('tags');
  if (stableJson(a.metadata) !== stableJson(b.metadata)) out.push('metadata');
  return out;
}

function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).sort(([x], [y]) => (x < y ? -1 : 1));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${stableJson(x)}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/** The form as an item, to compare with the server's (invalid metadata rows count as unchanged). */
export function formToItem(values: ItemFormValues, base: ItemLike): ItemLike {
  const metadata = rowsToMetadata(values.metadata);
  return {
    name: values.name,
    description: values.description,
    status: values.status,
    tags: values.tags,
    metadata: metadata.ok ? metadata.value : base.metadata,
    version: base.version,
  };
}

/** One field's value in words, short enough for a side-by-side comparison. */
export function describeField(item: ItemLike, field: keyof ItemFormValues): string {
  const clip = (s: string) => (s.length > 80 ? `${s.slice(0, 79)}…` : s);
  switch (field) {
    case 'name':
    case 'status':
      return item[field];
    case 'description':
      return item.description ? clip(item.description) : '(empty)';
    case 'tags':
      return item.tags.length ? item.tags.join(', ') : '(none)';
    case 'metadata':
      return Object.keys(item.metadata).length ? clip(JSON.stringify(item.metadata)) : '(none)';
  }
}
