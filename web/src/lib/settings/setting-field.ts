// Tenant settings come with a JSON Schema each (GET /api/v1/settings); the Organization page
// renders a control by the schema's type and turns what was typed back into a typed value.

export type SettingControl =
  | { kind: 'text'; nullable: boolean; maxLength?: number }
  | { kind: 'number'; nullable: boolean; integer: boolean; min?: number; max?: number }
  | { kind: 'enum'; nullable: boolean; options: string[] }
  | { kind: 'boolean'; nullable: boolean }
  | { kind: 'json'; nullable: boolean };

type Schema = Record<string, unknown>;

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** The control a setting's JSON Schema calls for; anything unusual falls back to raw JSON. */
export function settingControl(schema: Schema): SettingControl {
  let nullable = false;
  let s: Schema = schema;
  const variants = Array.isArray(schema.anyOf) ? (schema.anyOf as Schema[]) : undefined;
  if (variants) {
    const rest = variants.filter((v) => v.type !== 'null');
    nullable = rest.length < variants.length;
    if (rest.length !== 1 || !rest[0]) return { kind: 'json', nullable };
    s = rest[0];
  }
  let type = s.type;
  if (Array.isArray(type)) {
    nullable ||= type.includes('null');
    const rest = type.filter((t) => t !== 'null');
    type = rest.length === 1 ? rest[0] : undefined;
  }
  if (Array.isArray(s.enum) && s.enum.every((o) => typeof o === 'string'))
    return { kind: 'enum', nullable, options: s.enum as string[] };
  if (type === 'string') {
    const maxLength = num(s.maxLength);
    return { kind: 'text', nullable, ...(maxLength !== undefined ? { maxLength } : {}) };
  }
  if (type === 'integer' || type === 'number') {
    const min = num(s.minimum);
    const max = num(s.maximum);
    return {
      kind: 'number',
      nullable,
      integer: type === 'integer',
      ...(min !== undefined ? { min } : {}),
      ...(max !== undefined ? { max } : {}),
    };
  }
  if (type === 'boolean') return { kind: 'boolean', nullable };
  return { kind: 'json', nullable };
}

/** A value as the text its control edits ('' for null in a nullable field). */
export function toDraft(value: unknown, control: SettingControl): string {
  if (value === null && control.nullable) return '';
  if (control.kind === 'json') return JSON.stringify(value, null, 2);
  if (control.kind === 'boolean') return value === true ? 'true' : 'false';
  return value === undefined || value === null ? '' : String(value);
}

export type ParsedDraft = { ok: true; value: unknown } | { ok: false; error: string };

/** What was typed as the value to send; bounds are the server's to check, types are checked here. */
export function fromDraft(draft: string, control: SettingControl): ParsedDraft {
  const text = draft.trim();
  if (text === '' && control.nullable) return { ok: true, value: null };
  switch (control.kind) {
    case 'text':
      return text === '' ? { ok: false, error: 'Required.' } : { ok: true, value: draft };
    case 'enum':
      return control.options.includes(text) ? { ok: true, value: text } : { ok: false, error: 'Choose an option.' };
    case 'boolean':
      return { ok: true, value: text === 'true' };
    case 'number': {
      const n = Number(text);
      if (text === '' || !Number.isFinite(n)) return { ok: false, error: 'Enter a number.' };
      if (control.integer && !Number.isInteger(n)) return { ok: false, error: 'Enter a whole number.' };
      return { ok: true, value: n };
    }
    case 'json':
      try {
        return { ok: true, value: JSON.parse(text) };
      } catch {
        return { ok: false, error: 'Not valid JSON.' };
      }
  }
}

/** Labels for the keys the server has today; a key added later still gets one from its name. */
const LABELS: Record<string, string> = {
  'general.timezone': 'Time zone',
  'retention.auditLogDays': 'Keep audit log entries (days)',
  'retention.runDays': 'Keep finished runs (days)',
  'retention.jobDays': 'Keep finished jobs (days)',
  'ai.monthlyTokenLimit': 'Monthly token limit',
};

/** "ai.monthlyCostLimitUsd" → "Monthly cost limit (USD)", a label a person reads. */
export function settingLabel(key: string): string {
  const known = LABELS[key];
  if (known) return known;
  const last = key.split('.').pop() ?? key;
  const words = last
    .replace(/Usd$/, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase();
  const label = words.charAt(0).toUpperCase() + words.slice(1);
  return last.endsWith('Usd') ? `${label.trim()} (USD)` : label;
}

const GROUP_TITLES: Record<string, string> = { general: 'General', retention: 'Data retention', ai: 'AI budget' };

/** The section a setting belongs to, by the first part of its key. */
export function settingGroup(key: string): { id: string; title: string } {
  const id = key.split('.')[0] ?? key;
  return { id, title: GROUP_TITLES[id] ?? id.charAt(0).toUpperCase() + id.slice(1) };
}

/** Same JSON value (settings are small documents, so comparing their text is enough). */
export const sameValue = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
