// The "New job" form as plain data: one flat set of text fields for all four job types, turned
// into the POST /api/v1/jobs body with the checks a browser can make before asking the server
// (JSON that parses, required fields). The server still validates everything; its issue paths
// (`payload.expression`) are mapped back onto these field names so errors land next to inputs.

export const JOB_TYPES = ['process-data', 'send-notification', 'generate-report', 'cleanup'] as const;
export type JobType = (typeof JOB_TYPES)[number];

export const JOB_TYPE_INFO: Record<JobType, { label: string; description: string }> = {
  'process-data': {
    label: 'Process data',
    description: 'Evaluate a JSONata expression over JSON or CSV data; the value is the result.',
  },
  'send-notification': {
    label: 'Send notification',
    description: 'Send an email, or POST a JSON body to a webhook URL.',
  },
  'generate-report': {
    label: 'Generate report',
    description: 'Export items or workflow runs as a CSV or JSON file you can download.',
  },
  cleanup: {
    label: 'Cleanup',
    description: "Delete old runs, jobs, report files and audit entries by the organisation's retention settings.",
  },
};

export interface JobForm {
  type: JobType;
  // process-data
  dataFormat: 'json' | 'csv';
  data: string;
  expression: string;
  // send-notification
  channel: 'email' | 'webhook';
  to: string;
  subject: string;
  text: string;
  url: string;
  body: string;
  // generate-report
  source: 'items' | 'runs';
  reportFormat: 'csv' | 'json';
  /** `datetime-local` values (local time, no zone); empty for no bound. */
  from: string;
  until: string;
  // cleanup
  dryRun: boolean;
  // common
  runAt: string;
  priority: string;
  maxAttempts: string;
}

export const emptyJobForm = (type: JobType = 'process-data'): JobForm => ({
  type,
  dataFormat: 'json',
  data: '{\n  "orders": [{ "total": 12 }, { "total": 30 }]\n}',
  expression: '$sum(data.orders.total)',
  channel: 'email',
  to: '',
  subject: '',
  text: '',
  url: '',
  body: '{\n  "text": "Hello"\n}',
  source: 'items',
  reportFormat: 'csv',
  from: '',
  until: '',
  dryRun: true,
  runAt: '',
  priority: '',
  maxAttempts: '',
});

export type FormErrors = Partial<Record<keyof JobForm, string>>;
export type JobBody = { type: JobType; payload: Record<string, unknown> } & {
  runAt?: string;
  priority?: number;
  maxAttempts?: number;
};
export type BuildResult = { ok: true; body: JobBody } | { ok: false; errors: FormErrors };

function parseJson(text: string): { ok: true; value: unknown } | { ok: false; message: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (err) {
    return { ok: false, message: `is not valid JSON: ${(err as Error).message}` };
  }
}

/** A `datetime-local` value as an ISO instant in UTC, or undefined when empty or unreadable. */
export function localToIso(value: string): string | undefined {
  if (!value.trim()) return undefined;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

function intField(
  value: string,
  name: 'priority' | 'maxAttempts',
  [min, max]: [number, number],
  errors: FormErrors,
): number | undefined {
  if (!value.trim()) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    errors[name] = `Must be a whole number from ${min} to ${max}.`;
    return undefined;
  }
  return n;
}

function payloadOf(f: JobForm, errors: FormErrors): Record<string, unknown> {
  const required = (key: keyof JobForm, label: string) => {
    if (!String(f[key]).trim()) errors[key] = `${label} is required.`;
  };
  switch (f.type) {
    case 'process-data': {
      required('expression', 'An expression');
      if (f.dataFormat === 'csv') {
        required('data', 'CSV data');
        return { format: 'csv', data: f.data, expression: f.expression };
      }
      const data = parseJson(f.data);
      if (!data.ok) errors.data = `The data ${data.message}`;
      return { format: 'json', data: data.ok ? data.value : null, expression: f.expression };
    }
    case 'send-notification': {
      if (f.channel === 'email') {
        required('to', 'A recipient');
        required('subject', 'A subject');
        required('text', 'A message');
        if (/[\r\n]/.test(f.subject)) errors.subject = 'The subject must be a single line.';
        return { channel: 'email', to: f.to.trim(), subject: f.subject, text: f.text };
      }
      required('url', 'A URL');
      const body = parseJson(f.body);
      if (!body.ok) errors.body = `The body ${body.message}`;
      return { channel: 'webhook', url: f.url.trim(), body: body.ok ? body.value : null };
    }
    case 'generate-report': {
      const from = localToIso(f.from);
      const to = localToIso(f.until);
      if (from && to && from >= to) errors.until = 'Must be after “From”.';
      return { source: f.source, format: f.reportFormat, ...(from ? { from } : {}), ...(to ? { to } : {}) };
    }
    case 'cleanup':
      return { dryRun: f.dryRun };
  }
}

/** The request body for the form, or the problems to show next to its fields. */
export function buildJobBody(f: JobForm): BuildResult {
  const errors: FormErrors = {};
  const payload = payloadOf(f, errors);
  const body: JobBody = { type: f.type, payload };
  const runAt = localToIso(f.runAt);
  if (f.runAt.trim() && !runAt) errors.runAt = 'Is not a date and time.';
  if (runAt) body.runAt = runAt;
  const priority = intField(f.priority, 'priority', [0, 100], errors);
  if (priority !== undefined) body.priority = priority;
  const maxAttempts = intField(f.maxAttempts, 'maxAttempts', [1, 10], errors);
  if (maxAttempts !== undefined) body.maxAttempts = maxAttempts;
  return Object.keys(errors).length > 0 ? { ok: false, errors } : { ok: true, body };
}

/** Where the server's issue paths (after `issuesByPath` strips `body.`) show in the form. */
const ISSUE_FIELDS: Record<string, keyof JobForm> = {
  type: 'type',
  'payload.data': 'data',
  'payload.expression': 'expression',
  'payload.format': 'dataFormat',
  'payload.to': 'to',
  'payload.subject': 'subject',
  'payload.text': 'text',
  'payload.url': 'url',
  'payload.body': 'body',
  'payload.source': 'source',
  'payload.from': 'from',
  'payload.dryRun': 'dryRun',
  runAt: 'runAt',
  priority: 'priority',
  maxAttempts: 'maxAttempts',
};

/**
 * The server's field problems keyed by form field. `payload.to` is the email recipient for a
 * notification but the report's upper bound for a report (and `payload.format` its file format),
 * so the job type decides. Anything
 * that does not name a field comes back under `rest`, to be shown above the form.
 */
export function mapIssues(type: JobType, byPath: Record<string, string>): { fields: FormErrors; rest: string[] } {
  const fields: FormErrors = {};
  const rest: string[] = [];
  for (const [path, message] of Object.entries(byPath)) {
    const field =
      type === 'generate-report' && path === 'payload.to'
        ? 'until'
        : type === 'generate-report' && path === 'payload.format'
          ? 'reportFormat'
          : ISSUE_FIELDS[path];
    if (field && !fields[field]) fields[field] = message;
    else rest.push(path ? `${path}: ${message}` : message);
  }
  return { fields, rest };
}
