import { isRouteErrorResponse, useRouteError } from 'react-router';
import { LinkButton } from '../ui/button';
import { ErrorState } from '../ui/feedback';

const RELOADED = 'sy-reloaded-for-chunk';

/**
 * What a page shows when it throws or cannot load, instead of React Router's developer screen.
 * A page module that fails to load usually means a new build replaced the old hashed files
 * under an open tab: reload once to pick up the new build (remembered per tab, so a real
 * outage cannot loop).
 */
export function RouteError() {
  const error = useRouteError();
  const message = error instanceof Error ? error.message : '';
  const staleBuild = /dynamically imported module|Importing a module script failed|error loading dynamically/i.test(
    message,
  );
  if (staleBuild && !sessionStorage.getItem(RELOADED)) {
    sessionStorage.setItem(RELOADED, '1');
    location.reload();
    return null;
  }
  sessionStorage.removeItem(RELOADED);
  const shown = isRouteErrorResponse(error) ? new Error(`${error.status} ${error.statusText}`) : error;
  return (
    <div className="mx-auto max-w-2xl p-6">
      <ErrorState
        title={staleBuild ? 'This page could not be loaded. Switchyard may have been updated.' : 'This page failed.'}
        error={shown}
        onRetry={() => location.reload()}
      />
      <LinkButton to="/" className="mt-4">
        Go home
      </LinkButton>
    </div>
  );
}
