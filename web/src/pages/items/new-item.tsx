import { useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { ApiError } from '../../api/client';
import { roleAtLeast, useMe } from '../../api/session';
import { EMPTY_FORM, fieldErrors, type ItemFormValues, rowsToMetadata } from '../../lib/items/item-form';
import { Button, LinkButton } from '../../ui/button';
import { ErrorState, Notice } from '../../ui/feedback';
import { issuesByPath } from '../../ui/form';
import { PageHeader } from '../../ui/layout';
import { useToast } from '../../ui/toast';
import { type FormErrors, ItemForm } from './item-form';
import { useItemMutations } from './queries';

/** /items/new: after creating, the list shows the new item first. */
export function NewItem() {
  const me = useMe();
  const navigate = useNavigate();
  const toast = useToast();
  const { create } = useItemMutations();
  const [values, setValues] = useState<ItemFormValues>(EMPTY_FORM);
  const [errors, setErrors] = useState<FormErrors>({});
  const [failure, setFailure] = useState<unknown>();

  if (!roleAtLeast(me, 'editor')) {
    return (
      <>
        <PageHeader title="New item" />
        <Notice tone="warning">
          Your role ({me.tenant.role}) can read items but not create them. Ask an admin for the editor role.{' '}
          <Link to="/items" className="underline">
            Back to items
          </Link>
        </Notice>
      </>
    );
  }

  const submit = () => {
    const metadata = rowsToMetadata(values.metadata);
    const local: FormErrors = {};
    if (!values.name.trim()) local.name = 'Give the item a name.';
    if (!metadata.ok) local.rows = metadata.errors;
    setErrors(local);
    setFailure(undefined);
    if (local.name || local.rows || !metadata.ok) return;
    create.mutate(
      { ...values, metadata: metadata.value },
      {
        onSuccess: (item) => {
          toast(`Created “${item.name}”`);
          navigate('/items');
        },
        onError: (err) => {
          const fields = err instanceof ApiError ? fieldErrors(issuesByPath(err.issues)) : {};
          setErrors(fields);
          if (Object.keys(fields).length === 0) setFailure(err);
        },
      },
    );
  };

  return (
    <>
      <PageHeader title="New item" description="Give it a name; everything else is optional." />
      <ItemForm
        values={values}
        onChange={setValues}
        errors={errors}
        readOnly={false}
        onSubmit={submit}
        banner={failure ? <ErrorState error={failure} title="The item was not created." /> : undefined}
        actions={
          <>
            <Button type="submit" variant="primary" busy={create.isPending}>
              Create item
            </Button>
            <LinkButton to="/items" variant="ghost">
              Cancel
            </LinkButton>
          </>
        }
      />
    </>
  );
}
