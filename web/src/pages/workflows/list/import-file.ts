// Reading a workflow export chosen by the user, before sending it to POST /workflows/import, so a
// wrong file is explained in words ("this is not a Switchyard export") rather than by a 400.
export const EXPORT_FORMAT = 'switchyard.workflow/v1';

export interface ImportBody {
  format: typeof EXPORT_FORMAT;
  name: string;
  description?: string;
  definition: unknown;
}

export type ImportParse = { ok: true; body: ImportBody } | { ok: false; problems: string[] };

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Accepts an export (`{format, name, description, definition}`), or a bare definition
 * (`{trigger, steps}`) named after the file, since people also save definitions by hand.
 */
export function parseImportText(text: string, fileName = 'Imported workflow'): ImportParse {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, problems: [`The file is not valid JSON (${(err as Error).message}).`] };
  }
  if (!isRecord(value)) return { ok: false, problems: ['The file must hold a JSON object.'] };
  if (value.format === undefined && 'trigger' in value && 'steps' in value) {
    const name =
      fileName
        .replace(/\.json$/i, '')
        .trim()
        .slice(0, 200) || 'Imported workflow';
    return { ok: true, body: { format: EXPORT_FORMAT, name, definition: value } };
  }
  const problems: string[] = [];
  if (value.format !== EXPORT_FORMAT)
    problems.push(
      `This is not a Switchyard workflow export: "format" should be "${EXPORT_FORMAT}"${
        typeof value.format === 'string' ? `, not "${value.format}"` : ''
      }.`,
    );
  if (typeof value.name !== 'string' || !value.name.trim()) problems.push('The export has no "name".');
  else if (value.name.length > 200) problems.push('The name is longer than 200 characters.');
  if (value.description !== undefined && typeof value.description !== 'string')
    problems.push('"description" must be text.');
  if (!isRecord(value.definition)) problems.push('The export has no "definition" object.');
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    body: {
      format: EXPORT_FORMAT,
      name: String(value.name).trim(),
      ...(typeof value.description === 'string' && value.description ? { description: value.description } : {}),
      definition: value.definition,
    },
  };
}

export interface DefinitionProblem {
  code?: string;
  message: string;
  path?: string;
  stepId?: string;
  severity?: string;
}

/** The `problems` of a WORKFLOW_INVALID answer, as lines a person can read. */
export function describeProblems(problems: unknown): string[] {
  if (!Array.isArray(problems)) return [];
  return problems.flatMap((p: unknown) => {
    if (!isRecord(p) || typeof p.message !== 'string') return [];
    const where =
      typeof p.stepId === 'string' ? `step “${p.stepId}”` : typeof p.path === 'string' && p.path ? p.path : '';
    const warn = p.severity === 'warning' ? ' (warning)' : '';
    return [`${where ? `${where}: ` : ''}${p.message}${warn}`];
  });
}

/** A safe file name for an export download. */
export function exportFileName(name: string): string {
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60);
  return `${slug || 'workflow'}.workflow.json`;
}
