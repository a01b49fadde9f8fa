// The "Create API key" form: name, scopes and an expiry chosen from presets (or a date), turned
// into the POST /api/v1/api-keys body.

export const EXPIRY_PRESETS = [
  { id: '30', label: '30 days', days: 30 },
  { id: '90', label: '90 days', days: 90 },
  { id: '365', label: '1 year', days: 365 },
  { id: 'never', label: 'Never', days: undefined },
  { id: 'custom', label: 'On a date…', days: undefined },
] as const;
export type ExpiryPreset = (typeof EXPIRY_PRESETS)[number]['id'];

export interface ApiKeyForm {
  name: string;
  scopes: string[];
  expiry: ExpiryPreset;
  /** A yyyy-mm-dd date, used when expiry is 'custom'; the key expires at the end of that local day. */
  expiryDate: string;
}

export interface ApiKeyBody {
  name: string;
  scopes: string[];
  expiresAt?: string;
}

export type BuiltApiKey =
  { ok: true; body: ApiKeyBody } | { ok: false; errors: Partial<Record<keyof ApiKeyForm, string>> };

const DAY = 86_400_000;

export function buildApiKeyBody(form: ApiKeyForm, now: Date = new Date()): BuiltApiKey {
  const errors: Partial<Record<keyof ApiKeyForm, string>> = {};
  const name = form.name.trim();
  if (!name) errors.name = 'Give the key a name, e.g. the system that will use it.';
  else if (name.length > 100) errors.name = 'At most 100 characters.';
  if (form.scopes.length === 0) errors.scopes = 'Choose at least one scope.';
  let expiresAt: string | undefined;
  const preset = EXPIRY_PRESETS.find((p) => p.id === form.expiry);
  if (preset?.days) expiresAt = new Date(now.getTime() + preset.days * DAY).toISOString();
  if (form.expiry === 'custom') {
    const end = /^\d{4}-\d{2}-\d{2}$/.test(form.expiryDate) ? new Date(`${form.expiryDate}T23:59:59`) : undefined;
    if (!end || Number.isNaN(end.getTime())) errors.expiryDate = 'Choose a date.';
    else if (end.getTime() <= now.getTime()) errors.expiryDate = 'Choose a date in the future.';
    else expiresAt = end.toISOString();
  }
  if (Object.keys(errors).length) return { ok: false, errors };
  return { ok: true, body: { name, scopes: [...form.scopes], ...(expiresAt ? { expiresAt } : {}) } };
}

/** Whether an expiry has passed or comes within a week, for a warning badge. */
export function expiryState(expiresAt: string | null, now: Date = new Date()): 'none' | 'soon' | 'expired' | 'later' {
  if (!expiresAt) return 'none';
  const t = Date.parse(expiresAt) - now.getTime();
  if (t <= 0) return 'expired';
  return t < 7 * DAY ? 'soon' : 'later';
}
