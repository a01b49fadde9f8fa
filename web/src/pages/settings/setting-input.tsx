import type { Schemas } from '../../api/client';
import { settingControl, settingLabel } from '../../lib/settings/setting-field';
import { Field, Input, Select, Textarea } from '../../ui/form';

/** One tenant setting as the control its JSON Schema calls for, with its description and default. */
export function SettingInput({
  setting,
  draft,
  disabled,
  error,
  onChange,
  onReset,
  resetting,
}: {
  setting: Schemas['Setting'];
  draft: string;
  disabled: boolean;
  error: string | undefined;
  onChange: (draft: string) => void;
  onReset: (() => void) | undefined;
  resetting: boolean;
}) {
  const control = settingControl(setting.schema);
  const def = setting.default === null ? 'none' : JSON.stringify(setting.default);
  const hint = (
    <>
      {setting.description}.{' '}
      <span className="whitespace-nowrap">
        Default: <code>{def}</code>
      </span>
      {control.nullable && ' · leave empty for none'}
    </>
  );
  return (
    <div className="space-y-1">
      <Field label={settingLabel(setting.key)} hint={hint} error={error}>
        {(p) => {
          const common = { ...p, disabled, value: draft, 'data-setting': setting.key };
          switch (control.kind) {
            case 'enum':
              return (
                <Select {...common} onChange={(e) => onChange(e.target.value)}>
                  {control.nullable && <option value="">None</option>}
                  {control.options.map((o) => (
                    <option key={o} value={o}>
                      {o}
                    </option>
                  ))}
                </Select>
              );
            case 'boolean':
              return (
                <Select {...common} onChange={(e) => onChange(e.target.value)}>
                  <option value="true">Yes</option>
                  <option value="false">No</option>
                </Select>
              );
            case 'number':
              return (
                <Input
                  {...common}
                  type="number"
                  inputMode={control.integer ? 'numeric' : 'decimal'}
                  step={control.integer ? 1 : 'any'}
                  min={control.min}
                  max={control.max}
                  placeholder={control.nullable ? 'No limit' : undefined}
                  onChange={(e) => onChange(e.target.value)}
                />
              );
            case 'text':
              return <Input {...common} maxLength={control.maxLength} onChange={(e) => onChange(e.target.value)} />;
            case 'json':
              return <Textarea {...common} rows={4} onChange={(e) => onChange(e.target.value)} />;
          }
        }}
      </Field>
      {onReset && (
        <button
          type="button"
          className="text-xs text-indigo-600 hover:underline disabled:opacity-60 dark:text-indigo-400"
          disabled={resetting}
          onClick={onReset}
        >
          {resetting ? 'Resetting…' : 'Reset to default'}
        </button>
      )}
    </div>
  );
}
