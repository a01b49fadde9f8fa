import { formatRelative } from '../../lib/format';
import { changedFields, type ItemLike } from '../../lib/items/item-form';
import { Button } from '../../ui/button';

const FIELD_NAMES = { name: 'name', description: 'description', status: 'status', tags: 'tags', metadata: 'fields' };

/**
 * Someone saved the item after this form read it (the API answered 412): says what they changed
 * and lets the person take their version or write theirs over it, knowingly.
 */
export function ConflictNotice({
  yours,
  theirs,
  onReload,
  onOverwrite,
  overwriting,
}: {
  /** The version this form was opened at. */
  yours: ItemLike & { updatedAt: string };
  theirs: (ItemLike & { updatedAt: string }) | undefined;
  onReload: () => void;
  onOverwrite: () => void;
  overwriting: boolean;
}) {
  const changed = theirs ? changedFields(yours, theirs).map((f) => FIELD_NAMES[f]) : [];
  return (
    <div
      role="alert"
      className="rounded-lg border border-amber-300 bg-amber-50 p-4 text-sm text-amber-950 dark:border-amber-800 dark:bg-amber-950/40 dark:text-amber-100"
    >
      <p className="font-semibold">Someone changed this item since you opened it</p>
      {theirs ? (
        <p className="mt-1">
          You opened <strong>version {yours.version}</strong>; it is now at <strong>version {theirs.version}</strong>{' '}
          (saved {formatRelative(theirs.updatedAt)}).{' '}
          {changed.length > 0 ? (
            <>They changed the {changed.join(', ')}.</>
          ) : (
            'Their change left the fields as they were.'
          )}
        </p>
      ) : (
        <p className="mt-1">You opened version {yours.version}; a newer one exists, or the item was deleted.</p>
      )}
      <p className="mt-1">
        Reload to see their version (your unsaved changes are dropped), or overwrite it with yours.
      </p>
      <div className="mt-3 flex flex-wrap gap-2">
        <Button size="sm" variant="primary" onClick={onReload}>
          Reload their version
        </Button>
        {theirs && (
          <Button size="sm" variant="danger" busy={overwriting} onClick={onOverwrite}>
            Overwrite with mine
          </Button>
        )}
      </div>
    </div>
  );
}
