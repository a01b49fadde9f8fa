import { History, Play, Power, PowerOff, Save } from 'lucide-react';
import { Link } from 'react-router';
import { Badge } from '../../../ui/badge';
import { Button } from '../../../ui/button';
import { Input } from '../../../ui/form';

/** Name, save state and the workflow-wide actions. */
export function Toolbar({
  name,
  onName,
  workflow,
  dirty,
  canEdit,
  saving,
  onSave,
  activating,
  onActivate,
  onTestRun,
  errors,
}: {
  name: string;
  onName: (v: string) => void;
  workflow: { id: string; version: number; active: boolean } | undefined;
  dirty: boolean;
  canEdit: boolean;
  saving: boolean;
  onSave: () => void;
  activating: boolean;
  onActivate: () => void;
  onTestRun: () => void;
  errors: number;
}) {
  return (
    <div className="mb-3 flex flex-col gap-2 lg:flex-row lg:items-center lg:justify-between">
      <div className="flex min-w-0 flex-1 items-center gap-2">
        <Link to="/workflows" className="shrink-0 text-sm text-slate-500 hover:underline dark:text-slate-400">
          Workflows /
        </Link>
        <Input
          aria-label="Workflow name"
          value={name}
          maxLength={200}
          readOnly={!canEdit}
          onChange={(e) => onName(e.target.value)}
          className="max-w-md min-w-0 text-base font-semibold"
        />
        <span className="flex shrink-0 items-center gap-1.5">
          {workflow && <Badge tone="gray">v{workflow.version}</Badge>}
          {workflow && (
            <Badge tone={workflow.active ? 'green' : 'gray'}>{workflow.active ? 'active' : 'inactive'}</Badge>
          )}
          {dirty && (
            <Badge tone="amber">
              <span data-testid="unsaved-indicator">Unsaved changes</span>
            </Badge>
          )}
        </span>
      </div>
      <div className="flex flex-wrap gap-2">
        {workflow && (
          <Link
            to={`/workflows/${workflow.id}/versions`}
            className="inline-flex items-center gap-1.5 rounded-md px-3 py-2 text-sm font-medium text-slate-700 hover:bg-slate-100 dark:text-slate-200 dark:hover:bg-slate-800"
          >
            <History className="size-4" /> Versions
          </Link>
        )}
        <Button icon={<Play className="size-4" />} onClick={onTestRun}>
          Test run
        </Button>
        {canEdit && workflow && (
          <Button
            icon={workflow.active ? <PowerOff className="size-4" /> : <Power className="size-4" />}
            busy={activating}
            onClick={onActivate}
          >
            {workflow.active ? 'Deactivate' : 'Activate'}
          </Button>
        )}
        {canEdit && (
          <Button
            variant="primary"
            icon={<Save className="size-4" />}
            busy={saving}
            onClick={onSave}
            disabled={!dirty && !!workflow}
            title={errors ? 'Fix the errors listed under Problems to save' : undefined}
          >
            Save
          </Button>
        )}
      </div>
    </div>
  );
}
