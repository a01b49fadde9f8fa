import { Trash2 } from 'lucide-react';
import { useEffect, useState } from 'react';
import { Link } from 'react-router';
import { ApiError } from '../../api/client';
import { roleAtLeast, useMe } from '../../api/session';
import { formatDateTime } from '../../lib/format';
import {
  fieldErrors,
  formToItem,
  isVersionConflict,
  type ItemFormValues,
  itemToForm,
  rowsToMetadata,
} from '../../lib/items/item-form';
import { StatusBadge } from '../../ui/badge';
import { Button, LinkButton } from '../../ui/button';
import { ErrorState, Loading } from '../../ui/feedback';
import { issuesByPath } from '../../ui/form';
import { PageHeader } from '../../ui/layout';
import { useToast } from '../../ui/toast';
import { ConflictNotice } from './conflict-notice';
import { DeleteItemDialog } from './delete-item-dialog';
import { type FormErrors, ItemForm } from './item-form';
import { fetchItem, type Item, useItem, useItemMutations } from './queries';

/** /items/:id: the form edits the version it read, and every save says which one (If-Match). */
export function EditItem({ id }: { id: string }) {
  const me = useMe();
  const canWrite = roleAtLeast(me, 'editor');
  const toast = useToast();
  const query = useItem(id);
  const { update } = useItemMutations();
  /** The version the form was read at; a background refetch never moves it under the person. */
  const [base, setBase] = useState<Item>();
  const [values, setValues] = useState<ItemFormValues>();
  const [errors, setErrors] = useState<FormErrors>({});
  const [failure, setFailure] = useState<unknown>();
  const [conflict, setConflict] = useState<{ theirs: Item | undefined }>();
  const [deleting, setDeleting] = useState(false);

  const load = (item: Item) => {
    setBase(item);
    setValues(itemToForm(item));
    setErrors({});
    setFailure(undefined);
    setConflict(undefined);
  };
  useEffect(() => {
    if (query.data && !base) load(query.data);
  }, [query.data, base]);

  if (query.isError) {
    const missing = query.error instanceof ApiError && query.error.status === 404;
    return (
      <>
        <PageHeader title="Item" />
        <ErrorState
          error={query.error}
          title={missing ? 'This item does not exist, or it was deleted.' : undefined}
          onRetry={missing ? undefined : () => query.refetch()}
        />
        <Link to="/items" className="mt-4 inline-block text-sm text-indigo-700 underline dark:text-indigo-300">
          Back to items
        </Link>
      </>
    );
  }
  if (!base || !values) return <Loading label="Loading the item…" />;

  const dirty = JSON.stringify(values) !== JSON.stringify(itemToForm(base));

  const save = (version: number) => {
    const metadata = rowsToMetadata(values.metadata);
    const local: FormErrors = {};
    if (!values.name.trim()) local.name = 'Give the item a name.';
    if (!metadata.ok) local.rows = metadata.errors;
    setErrors(local);
    setFailure(undefined);
    if (local.name || !metadata.ok) return;
    const { name, description, status, tags } = values;
    update.mutate(
      { id, version, body: { name, description, status, tags, metadata: metadata.value } },
      {
        onSuccess: (item) => {
          load(item);
          toast(`Saved version ${item.version}`);
        },
        onError: async (err) => {
          if (err instanceof ApiError && isVersionConflict(err)) {
            const theirs = await fetchItem(id).catch(() => undefined);
            setConflict({ theirs });
            return;
          }
          const fields = err instanceof ApiError ? fieldErrors(issuesByPath(err.issues)) : {};
          setErrors(fields);
          if (Object.keys(fields).length === 0) setFailure(err);
        },
      },
    );
  };

  const banner = conflict ? (
    <ConflictNotice
      yours={base}
      mine={formToItem(values, base)}
      theirs={conflict.theirs}
      overwriting={update.isPending}
      onReload={async () => {
        const latest = conflict.theirs ?? (await query.refetch()).data;
        if (latest) load(latest);
      }}
      onOverwrite={() => conflict.theirs && save(conflict.theirs.version)}
    />
  ) : failure ? (
    <ErrorState error={failure} title="The changes were not saved." />
  ) : undefined;

  return (
    <>
      <PageHeader
        title={base.name}
        description={
          <span className="flex flex-wrap items-center gap-x-3 gap-y-1">
            <StatusBadge status={base.status} />
            <span>Version {base.version}</span>
            <span>Updated {formatDateTime(base.updatedAt)}</span>
            <code className="text-xs">{base.id}</code>
          </span>
        }
        actions={
          canWrite && (
            <Button variant="danger" icon={<Trash2 className="size-4" />} onClick={() => setDeleting(true)}>
              Delete
            </Button>
          )
        }
      />
      <ItemForm
        values={values}
        onChange={setValues}
        errors={errors}
        readOnly={!canWrite}
        onSubmit={() => save(base.version)}
        banner={banner}
        actions={
          <>
            {canWrite && (
              <Button type="submit" variant="primary" busy={update.isPending && !conflict} disabled={!dirty}>
                Save changes
              </Button>
            )}
            {canWrite && dirty && (
              <Button variant="ghost" onClick={() => load(base)}>
                Discard changes
              </Button>
            )}
            <LinkButton to="/items" variant="ghost">
              Back to items
            </LinkButton>
            {!canWrite && (
              <span className="text-sm text-slate-500 dark:text-slate-400">
                Read-only: your role ({me.tenant.role}) cannot change items.
              </span>
            )}
          </>
        }
      />
      <DeleteItemDialog
        item={base}
        open={deleting}
        onClose={() => setDeleting(false)}
        onReload={async () => {
          const latest = (await query.refetch()).data;
          if (latest) load(latest);
        }}
      />
    </>
  );
}
