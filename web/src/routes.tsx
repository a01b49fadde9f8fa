// Every page of the dashboard. Pages load lazily, so the editor's React Flow and the charts are
// fetched only by those who open them.
import { lazy, type ReactNode, Suspense } from 'react';
import { createBrowserRouter, Navigate, Outlet, useLocation } from 'react-router';
import { useSession } from './api/session';
import { AppShell } from './layout/app-shell';
import { RouteError } from './layout/route-error';
import { Loading } from './ui/feedback';

const page = (load: () => Promise<{ default: React.ComponentType }>) => {
  const Component = lazy(load);
  return <Component />;
};

function FullPageLoading() {
  return (
    <div className="grid min-h-dvh place-items-center">
      <Loading label="Starting Switchyard…" />
    </div>
  );
}

/** Pages behind sign-in: an anonymous visitor goes to /login and comes back afterwards. */
function RequireSession() {
  const { status } = useSession();
  const location = useLocation();
  if (status === 'loading') return <FullPageLoading />;
  if (status === 'anonymous') {
    const next = location.pathname + location.search;
    return <Navigate to={next === '/' ? '/login' : `/login?next=${encodeURIComponent(next)}`} replace />;
  }
  return <AppShell />;
}

/** Sign-in pages: someone already signed in goes on to where they were headed. */
function PublicOnly({ children }: { children?: ReactNode }) {
  const { status } = useSession();
  const location = useLocation();
  if (status === 'loading') return <FullPageLoading />;
  if (status === 'authenticated') {
    const next = new URLSearchParams(location.search).get('next');
    return <Navigate to={next && next.startsWith('/') && !next.startsWith('//') ? next : '/'} replace />;
  }
  return <Suspense fallback={<FullPageLoading />}>{children ?? <Outlet />}</Suspense>;
}

/** Pages that work signed in or not (links from emails). */
function Anyone() {
  return (
    <Suspense fallback={<FullPageLoading />}>
      <Outlet />
    </Suspense>
  );
}

export const router = createBrowserRouter([
  {
    element: <PublicOnly />,
    errorElement: <RouteError />,
    children: [
      { path: '/login', element: page(() => import('./pages/auth/login')) },
      { path: '/signup', element: page(() => import('./pages/auth/signup')) },
      { path: '/forgot-password', element: page(() => import('./pages/auth/forgot-password')) },
    ],
  },
  {
    element: <Anyone />,
    errorElement: <RouteError />,
    children: [
      { path: '/reset-password', element: page(() => import('./pages/auth/reset-password')) },
      { path: '/accept-invitation', element: page(() => import('./pages/auth/accept-invitation')) },
      { path: '/verify-email', element: page(() => import('./pages/auth/verify-email')) },
    ],
  },
  {
    element: <RequireSession />,
    errorElement: <RouteError />,
    children: [
      {
        // Inside the shell: a failing page keeps the navigation around its error.
        errorElement: <RouteError />,
        children: [
          { path: '/', element: page(() => import('./pages/home/home')) },
          { path: '/items', element: page(() => import('./pages/items/items-list')) },
          { path: '/items/new', element: page(() => import('./pages/items/item-detail')) },
          { path: '/items/:id', element: page(() => import('./pages/items/item-detail')) },
          { path: '/jobs', element: page(() => import('./pages/jobs/jobs-list')) },
          { path: '/jobs/:id', element: page(() => import('./pages/jobs/job-detail')) },
          { path: '/workflows', element: page(() => import('./pages/workflows/workflows-list')) },
          { path: '/workflows/new', element: page(() => import('./pages/workflows/editor/workflow-editor')) },
          { path: '/workflows/:id', element: page(() => import('./pages/workflows/editor/workflow-editor')) },
          {
            path: '/workflows/:id/versions',
            element: page(() => import('./pages/workflows/versions/workflow-versions')),
          },
          { path: '/runs', element: page(() => import('./pages/runs/runs-list')) },
          { path: '/runs/:id', element: page(() => import('./pages/runs/run-detail')) },
          { path: '/health', element: page(() => import('./pages/health/health')) },
          { path: '/audit', element: page(() => import('./pages/audit/audit-log')) },
          { path: '/settings/*', element: page(() => import('./pages/settings/settings')) },
          { path: '/operator', element: page(() => import('./pages/operator/operator')) },
          { path: '*', element: page(() => import('./pages/not-found')) },
        ],
      },
    ],
  },
]);
