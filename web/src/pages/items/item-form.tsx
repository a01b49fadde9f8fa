import type { FormEvent, ReactNode } from 'react';
import type { ItemFormValues } from '../../lib/items/item-form';
import { ITEM_STATUSES } from '../../lib/items/list-query';
import { Field, Input, Select, Textarea } from '../../ui/form';
import { Card } from '../../ui/layout';
import { MetadataEditor } from './metadata-editor';
import { TagsEditor } from './tags-editor';

export type FormErrors = Partial<Record<keyof ItemFormValues | 'form', string>> & { rows?: Record<string, string> };

/** The fields of an item; read-only for a viewer. The parent owns the values and the saving. */
export function ItemForm({
  values,
  onChange,
  errors,
  readOnly,
  onSubmit,
  actions,
  banner,
}: {
  values: ItemFormValues;
  onChange: (values: ItemFormValues) => void;
  errors: FormErrors;
  readOnly: boolean;
  onSubmit: () => void;
  actions?: ReactNode;
  banner?: ReactNode;
}) {
  const set = <K extends keyof ItemFormValues>(key: K, value: ItemFormValues[K]) =>
    onChange({ ...values, [key]: value });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onSubmit();
  };
  return (
    <form onSubmit={submit} noValidate className="space-y-4">
      {banner}
      <Card>
        <fieldset disabled={readOnly} className="grid gap-4 sm:grid-cols-[minmax(0,2fr)_minmax(0,1fr)]">
          <Field label="Name" error={errors.name}>
            {(p) => (
              <Input
                {...p}
                required
                maxLength={200}
                autoComplete="off"
                value={values.name}
                onChange={(e) => set('name', e.target.value)}
              />
            )}
          </Field>
          <Field label="Status" error={errors.status}>
            {(p) => (
              <Select
                {...p}
                value={values.status}
                onChange={(e) => set('status', e.target.value as ItemFormValues['status'])}
              >
                {ITEM_STATUSES.map((s) => (
                  <option key={s} value={s}>
                    {s[0]?.toUpperCase() + s.slice(1)}
                  </option>
                ))}
              </Select>
            )}
          </Field>
          <Field label="Description" error={errors.description} className="sm:col-span-2">
            {(p) => (
              <Textarea
                {...p}
                rows={4}
                maxLength={10_000}
                className="font-sans text-sm"
                value={values.description}
                onChange={(e) => set('description', e.target.value)}
              />
            )}
          </Field>
          <Field
            label="Tags"
            error={errors.tags}
            hint={readOnly ? undefined : 'Press Enter or a comma after each tag. Stored in lower case.'}
            className="sm:col-span-2"
          >
            {(p) => <TagsEditor {...p} tags={values.tags} disabled={readOnly} onChange={(t) => set('tags', t)} />}
          </Field>
        </fieldset>
      </Card>
      <Card title="Fields (metadata)">
        <MetadataEditor
          rows={values.metadata}
          onChange={(rows) => set('metadata', rows)}
          errors={errors.rows ?? {}}
          disabled={readOnly}
        />
        {errors.metadata && (
          <p role="alert" className="mt-2 text-xs text-red-600 dark:text-red-400">
            Fields: {errors.metadata}
          </p>
        )}
      </Card>
      {errors.form && (
        <p role="alert" className="text-sm text-red-600 dark:text-red-400">
          {errors.form}
        </p>
      )}
      {actions && <div className="flex flex-wrap items-center gap-2">{actions}</div>}
    </form>
  );
}
