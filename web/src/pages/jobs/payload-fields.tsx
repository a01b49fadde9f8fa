// The inputs of each job type's payload (the schemas are in docs/api.md, "Payloads").
import type { FormErrors, JobForm } from '../../lib/jobs/job-form';
import { Checkbox, Field, Input, Select, Textarea } from '../../ui/form';

type Setter = <K extends keyof JobForm>(key: K, value: JobForm[K]) => void;

export function PayloadFields({ form, errors, set }: { form: JobForm; errors: FormErrors; set: Setter }) {
  switch (form.type) {
    case 'process-data':
      return (
        <>
          <Field label="Data format" error={errors.dataFormat}>
            {(props) => (
              <Select
                {...props}
                value={form.dataFormat}
                onChange={(e) => {
                  const format = e.target.value as JobForm['dataFormat'];
                  set('dataFormat', format);
                  if (format === 'csv' && form.data.trim().startsWith('{')) set('data', 'name,total\nada,12\nalan,30');
                }}
              >
                <option value="json">JSON</option>
                <option value="csv">CSV (with a header line)</option>
              </Select>
            )}
          </Field>
          <Field
            label="Data"
            hint={
              form.dataFormat === 'csv'
                ? 'Each record becomes an object of strings keyed by the header; read it as data.'
                : 'Any JSON up to 1 MiB; read it as data.'
            }
            error={errors.data}
          >
            {(props) => (
              <Textarea {...props} rows={6} value={form.data} onChange={(e) => set('data', e.target.value)} />
            )}
          </Field>
          <Field
            label="Expression (JSONata)"
            hint="Evaluated over {data}; its value is the job's result."
            error={errors.expression}
          >
            {(props) => (
              <Textarea
                {...props}
                rows={2}
                value={form.expression}
                onChange={(e) => set('expression', e.target.value)}
              />
            )}
          </Field>
        </>
      );
    case 'send-notification':
      return (
        <>
          <Field label="Channel">
            {(props) => (
              <Select
                {...props}
                value={form.channel}
                onChange={(e) => set('channel', e.target.value as JobForm['channel'])}
              >
                <option value="email">Email</option>
                <option value="webhook">Webhook (POST JSON)</option>
              </Select>
            )}
          </Field>
          {form.channel === 'email' ? (
            <>
              <Field label="To" error={errors.to}>
                {(props) => (
                  <Input
                    {...props}
                    type="email"
                    autoComplete="off"
                    value={form.to}
                    onChange={(e) => set('to', e.target.value)}
                  />
                )}
              </Field>
              <Field label="Subject" hint="One line, up to 200 characters" error={errors.subject}>
                {(props) => (
                  <Input
                    {...props}
                    maxLength={200}
                    value={form.subject}
                    onChange={(e) => set('subject', e.target.value)}
                  />
                )}
              </Field>
              <Field label="Message" error={errors.text}>
                {(props) => (
                  <Textarea
                    {...props}
                    rows={5}
                    className="font-sans text-sm"
                    value={form.text}
                    onChange={(e) => set('text', e.target.value)}
                  />
                )}
              </Field>
            </>
          ) : (
            <>
              <Field label="URL" hint="http(s); private addresses are refused" error={errors.url}>
                {(props) => (
                  <Input
                    {...props}
                    type="url"
                    placeholder="https://example.com/hooks/notify"
                    value={form.url}
                    onChange={(e) => set('url', e.target.value)}
                  />
                )}
              </Field>
              <Field label="Body (JSON)" error={errors.body}>
                {(props) => (
                  <Textarea {...props} rows={5} value={form.body} onChange={(e) => set('body', e.target.value)} />
                )}
              </Field>
            </>
          )}
        </>
      );
    case 'generate-report':
      return (
        <>
          <div className="grid gap-3 sm:grid-cols-2">
            <Field label="Source" error={errors.source}>
              {(props) => (
                <Select
                  {...props}
                  value={form.source}
                  onChange={(e) => set('source', e.target.value as JobForm['source'])}
                >
                  <option value="items">Items</option>
                  <option value="runs">Workflow runs</option>
                </Select>
              )}
            </Field>
            <Field label="File format" error={errors.reportFormat}>
              {(props) => (
                <Select
                  {...props}
                  value={form.reportFormat}
                  onChange={(e) => set('reportFormat', e.target.value as JobForm['reportFormat'])}
                >
                  <option value="csv">CSV</option>
                  <option value="json">JSON</option>
                </Select>
              )}
            </Field>
            <Field label="From" hint="Created at or after; empty: the beginning" error={errors.from}>
              {(props) => (
                <Input
                  {...props}
                  type="datetime-local"
                  value={form.from}
                  onChange={(e) => set('from', e.target.value)}
                />
              )}
            </Field>
            <Field label="Until" hint="Created before; empty: now" error={errors.until}>
              {(props) => (
                <Input
                  {...props}
                  type="datetime-local"
                  value={form.until}
                  onChange={(e) => set('until', e.target.value)}
                />
              )}
            </Field>
          </div>
        </>
      );
    case 'cleanup':
      return (
        <div className="space-y-1">
          <Checkbox
            label="Dry run: only count what would be deleted"
            checked={form.dryRun}
            onChange={(e) => set('dryRun', e.target.checked)}
          />
          <p className="text-xs text-slate-500 dark:text-slate-400">
            Without a dry run, finished runs, jobs and report files older than the retention settings are deleted for
            good.
          </p>
          {errors.dryRun && <p className="text-xs text-red-600 dark:text-red-400">{errors.dryRun}</p>}
        </div>
      );
  }
}
