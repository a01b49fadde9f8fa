import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useNavigate } from 'react-router';
import { api, ApiError, call, type Schemas } from '../../api/client';
import {
  buildJobBody,
  emptyJobForm,
  type FormErrors,
  JOB_TYPE_INFO,
  JOB_TYPES,
  type JobBody,
  type JobForm,
  type JobType,
  mapIssues,
} from '../../lib/jobs/job-form';
import { Button } from '../../ui/button';
import { Dialog } from '../../ui/dialog';
import { ErrorState } from '../../ui/feedback';
import { Field, Input, issuesByPath, Select } from '../../ui/form';
import { useToast } from '../../ui/toast';
import { PayloadFields } from './payload-fields';

export function NewJobDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const toast = useToast();
  const [form, setForm] = useState<JobForm>(() => emptyJobForm());
  const [errors, setErrors] = useState<FormErrors>({});
  const [serverRest, setServerRest] = useState<string[]>([]);

  const create = useMutation({
    // The form module checks the shape loosely; the server's schema is the judge of the payload.
    mutationFn: (body: JobBody) =>
      call(api.POST('/api/v1/jobs', { body: body as unknown as Schemas['CreateJobInput'] })),
    onSuccess: async (job) => {
      toast(`Queued ${JOB_TYPE_INFO[form.type].label.toLowerCase()} job`);
      await queryClient.invalidateQueries({ queryKey: ['jobs'] });
      close();
      navigate(`/jobs/${job.id}`);
    },
    onError: (err) => {
      if (!(err instanceof ApiError) || err.issues.length === 0) return;
      const mapped = mapIssues(form.type, issuesByPath(err.issues));
      setErrors(mapped.fields);
      setServerRest(mapped.rest);
    },
  });

  const set = <K extends keyof JobForm>(key: K, value: JobForm[K]) => {
    setForm((f) => ({ ...f, [key]: value }));
    setErrors((e) => ({ ...e, [key]: undefined }));
  };

  function close() {
    setForm(emptyJobForm());
    setErrors({});
    setServerRest([]);
    create.reset();
    onClose();
  }

  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    setServerRest([]);
    create.reset();
    const built = buildJobBody(form);
    if (!built.ok) return setErrors(built.errors);
    setErrors({});
    create.mutate(built.body);
  };

  const apiError = create.error instanceof ApiError ? create.error : undefined;
  return (
    <Dialog
      open={open}
      onClose={close}
      title="New job"
      footer={
        <>
          <Button onClick={close}>Cancel</Button>
          <Button type="submit" form="new-job-form" variant="primary" busy={create.isPending}>
            Queue job
          </Button>
        </>
      }
    >
      <form id="new-job-form" noValidate onSubmit={submit} className="space-y-4">
        <Field label="Type" hint={JOB_TYPE_INFO[form.type].description} error={errors.type}>
          {(props) => (
            <Select
              {...props}
              value={form.type}
              onChange={(e) => {
                setErrors({});
                set('type', e.target.value as JobType);
              }}
            >
              {JOB_TYPES.map((t) => (
                <option key={t} value={t}>
                  {JOB_TYPE_INFO[t].label}
                </option>
              ))}
            </Select>
          )}
        </Field>
        <PayloadFields form={form} errors={errors} set={set} />
        <details className="rounded-md border border-slate-200 p-3 dark:border-slate-800">
          <summary className="cursor-pointer text-sm font-medium">Scheduling and retries</summary>
          <div className="mt-3 grid gap-3 sm:grid-cols-3">
            <Field label="Run at" hint="Empty: now. Your local time." error={errors.runAt}>
              {(props) => (
                <Input
                  {...props}
                  type="datetime-local"
                  value={form.runAt}
                  onChange={(e) => set('runAt', e.target.value)}
                />
              )}
            </Field>
            <Field label="Priority" hint="0–100, lower first (0)" error={errors.priority}>
              {(props) => (
                <Input
                  {...props}
                  inputMode="numeric"
                  placeholder="0"
                  value={form.priority}
                  onChange={(e) => set('priority', e.target.value)}
                />
              )}
            </Field>
            <Field label="Max attempts" hint="1–10 (3)" error={errors.maxAttempts}>
              {(props) => (
                <Input
                  {...props}
                  inputMode="numeric"
                  placeholder="3"
                  value={form.maxAttempts}
                  onChange={(e) => set('maxAttempts', e.target.value)}
                />
              )}
            </Field>
          </div>
        </details>
        {create.isError && (!apiError || apiError.issues.length === 0 || serverRest.length > 0) && (
          <ErrorState error={create.error} title="The job was not queued." />
        )}
      </form>
    </Dialog>
  );
}
