import { formatRelative } from '../../lib/format';
import { changedFields, describeField, type ItemLike } from '../../lib/items/item-form';
import { Button } from '../../ui/button';

const FIELD_NAMES = { name: 'name', description: 'description', status: 'status', tags: 'tags', metadata: 'fields' };

/**
 * Someone saved the item after this form read it (the API answered 412): says what they changed
 * and lets the person take their version or write theirs over it, knowingly.
 */
export function ConflictNotice({
  yours,
  mine,
  theirs,
  onReload,
  onOverwrite,
  overwriting,
}: {
  /** The version this form was opened at. */
  yours: ItemLike & { updatedAt: string };
  /** What the form holds now, unsaved. */
  mine: ItemLike;
  theirs: (ItemLike & { updatedAt: string }) | undefined;
  onReload: () => void;
  onOverwrite: () => void;
  overwriting: boolean;
}) {
  const changed = theirs ? changedFields(yours, theirs).map((f) => FIELD_NAMES[f]) : [];
  const differ = theirs ? changedFields(theirs, mine) : [];
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
      {theirs && differ.length > 0 && (
        <div className="mt-3 overflow-x-auto">
          <table className="w-full text-left text-xs">
            <thead>
              <tr className="text-amber-800 dark:text-amber-300">
                <th scope="col" className="py-1 pr-3 font-semibold">
                  Field
                </th>
                <th scope="col" className="py-1 pr-3 font-semibold">
                  Their version {theirs.version}
                </th>
                <th scope="col" className="py-1 font-semibold">
                  Yours (unsaved)
                </th>
              </tr>
            </thead>
            <tbody>
              {differ.map((f) => (
                <tr key={f} className="border-t border-amber-200 align-top dark:border-amber-900">
                  <th scope="row" className="py-1 pr-3 font-medium capitalize">
                    {FIELD_NAMES[f]}
                  </th>
                  <td className="py-1 pr-3 break-all">{describeField(theirs, f)}</td>
                  <td className="py-1 break-all">{describeField(mine, f)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <p className="mt-2">
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
