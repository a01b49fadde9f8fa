import { useNavigate } from 'react-router';
import { ApiError } from '../../api/client';
import { isVersionConflict } from '../../lib/items/item-form';
import { Button } from '../../ui/button';
import { ErrorState, Notice } from '../../ui/feedback';
import { Dialog } from '../../ui/dialog';
import { useToast } from '../../ui/toast';
import { type Item, useItemMutations } from './queries';

/** Deleting asks first, and only deletes the version the person saw (If-Match). */
export function DeleteItemDialog({
  item,
  open,
  onClose,
  onReload,
}: {
  item: Item;
  open: boolean;
  onClose: () => void;
  /** Loads the newest version into the page (after a conflict). */
  onReload: () => void;
}) {
  const { remove } = useItemMutations();
  const navigate = useNavigate();
  const toast = useToast();
  const close = () => {
    remove.reset();
    onClose();
  };
  const conflict = remove.error instanceof ApiError && isVersionConflict(remove.error);
  return (
    <Dialog
      open={open}
      onClose={close}
      title={`Delete “${item.name}”?`}
      footer={
        <>
          <Button onClick={close}>Cancel</Button>
          {conflict && (
            <Button
              variant="primary"
              onClick={() => {
                close();
                onReload();
              }}
            >
              Reload the item
            </Button>
          )}
          <Button
            variant="danger"
            busy={remove.isPending}
            disabled={conflict}
            onClick={() =>
              remove.mutate(
                { id: item.id, version: item.version },
                {
                  onSuccess: () => {
                    toast(`Deleted “${item.name}”`);
                    navigate('/items');
                  },
                },
              )
            }
          >
            Delete item
          </Button>
        </>
      }
    >
      <p className="text-sm">
        The item and its fields are removed for everyone in this organisation. This cannot be undone; the audit log
        keeps a record that it existed.
      </p>
      {conflict ? (
        <Notice tone="warning" className="mt-3">
          Someone changed this item since you opened it. Reload it to see their change, then decide.
        </Notice>
      ) : (
        remove.error && (
          <div className="mt-3">
            <ErrorState error={remove.error} title="The item was not deleted." />
          </div>
        )
      )}
    </Dialog>
  );
}
