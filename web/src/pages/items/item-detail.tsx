// /items/new and /items/:id share this page: a create form, or the edit form of one item.
import { useParams } from 'react-router';
import { EditItem } from './edit-item';
import { NewItem } from './new-item';

export default function ItemDetailPage() {
  const { id } = useParams();
  // Keyed by id so opening another item starts from its own version, not the last one's form.
  return id ? <EditItem key={id} id={id} /> : <NewItem />;
}
