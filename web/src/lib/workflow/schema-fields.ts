import type { JsonSchema } from './definition';

/**
 * How the config form draws one JSON Schema property. Anything it cannot draw is `json` (a raw
 * JSON textarea), so no config is ever unreachable from the form.
 */
export type FieldKind =
  | 'jsonata'
  | 'string'
  | 'text' // a value of any type, usually a template string (e.g. ai.classify `text`)
  | 'number'
  | 'integer'
  | 'boolean'
  | 'enum'
  | 'object'
  | 'record'
  | 'array-objects'
  | 'array-strings'
  | 'json';

const typeOf = (s: JsonSchema): string | undefined =>
  Array.isArray(s.type) ? s.type.find((t) => t !== 'null') : s.type;

export function fieldKind(s: JsonSchema): FieldKind {
  if (s.enum && s.enum.every((v) => typeof v === 'string')) return 'enum';
  const t = typeOf(s);
  if (t === undefined && !s.anyOf && !s.oneOf && !s.properties) return 'text';
  switch (t) {
    case 'string':
      return s.format === 'jsonata' ? 'jsonata' : 'string';
    case 'number':
      return 'number';
    case 'integer':
      return 'integer';
    case 'boolean':
      return 'boolean';
    case 'object':
      if (s.properties) return 'object';
      if (typeof s.additionalProperties === 'object' && typeOf(s.additionalProperties) === 'string') return 'record';
      return 'json';
    case 'array':
      if (s.items && typeOf(s.items) === 'object' && s.items.properties) return 'array-objects';
      if (s.items && typeOf(s.items) === 'string' && !s.items.enum) return 'array-strings';
      return 'json';
    default:
      return 'json';
  }
}

/** A starting value for a new array element or a newly added step: required members with their defaults. */
export function initialValue(s: JsonSchema): unknown {
  if (s.default !== undefined) return structuredClone(s.default);
  switch (fieldKind(s)) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const key of s.required ?? []) {
        const p = s.properties?.[key];
        if (p) out[key] = initialValue(p);
      }
      return out;
    }
    case 'array-objects':
    case 'array-strings':
      return s.minItems && s.items ? Array.from({ length: s.minItems }, () => initialValue(s.items as JsonSchema)) : [];
    case 'boolean':
      return false;
    case 'number':
    case 'integer':
      return s.minimum ?? 0;
    case 'enum':
      return s.enum?.[0];
    case 'record':
      return {};
    default:
      return '';
  }
}

/** The config a step of this kind starts with: its required members only (defaults stay implicit). */
export function initialConfig(schema: JsonSchema): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of schema.required ?? []) {
    const p = schema.properties?.[key];
    if (p) out[key] = initialValue(p);
  }
  return out;
}

/** Parses a number field: empty means "unset" (the default applies). */
export function parseNumberInput(raw: string, integer: boolean): number | undefined | 'invalid' {
  if (raw.trim() === '') return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || (integer && !Number.isInteger(n))) return 'invalid';
  return n;
}
