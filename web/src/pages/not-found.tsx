import { LinkButton } from '../ui/button';
import { EmptyState } from '../ui/feedback';

export default function NotFound() {
  return (
    <EmptyState
      title="No such page"
      action={
        <LinkButton to="/" variant="primary">
          Go home
        </LinkButton>
      }
    >
      The address may be mistyped, or what it pointed to was deleted.
    </EmptyState>
  );
}
