import {
  Activity,
  Boxes,
  Briefcase,
  Building2,
  Home,
  LogOut,
  Menu,
  PlayCircle,
  ScrollText,
  Settings,
  Workflow,
  X,
} from 'lucide-react';
import { Suspense, useEffect, useState } from 'react';
import { NavLink, Outlet, useLocation } from 'react-router';
import { useMe, useSession } from '../api/session';
import { cn } from '../lib/cn';
import { Loading } from '../ui/feedback';
import { ThemeSwitcher } from './theme';

const NAV = [
  { to: '/', label: 'Home', icon: Home, end: true },
  { to: '/items', label: 'Items', icon: Boxes },
  { to: '/workflows', label: 'Workflows', icon: Workflow },
  { to: '/runs', label: 'Runs', icon: PlayCircle },
  { to: '/jobs', label: 'Jobs', icon: Briefcase },
  { to: '/health', label: 'Health', icon: Activity },
  { to: '/audit', label: 'Audit log', icon: ScrollText },
  { to: '/settings', label: 'Settings', icon: Settings },
] as const;

function TenantSwitcher() {
  const me = useMe();
  const { switchTenant } = useSession();
  const [busy, setBusy] = useState(false);
  if (me.memberships.length < 2) {
    return (
      <div className="truncate px-2 text-sm font-medium" title={me.tenant.name}>
        {me.tenant.name}
      </div>
    );
  }
  return (
    <label className="block px-2">
      <span className="sr-only">Organisation</span>
      <select
        className="w-full rounded-md border border-slate-300 bg-white px-2 py-1.5 text-sm dark:border-slate-700 dark:bg-slate-900"
        value={me.tenant.id}
        disabled={busy}
        onChange={async (e) => {
          setBusy(true);
          try {
            await switchTenant(e.target.value);
          } finally {
            setBusy(false);
          }
        }}
      >
        {me.memberships.map((m) => (
          <option key={m.tenantId} value={m.tenantId}>
            {m.tenantName} ({m.role})
          </option>
        ))}
      </select>
    </label>
  );
}

function Sidebar({ onNavigate }: { onNavigate?: () => void }) {
  const me = useMe();
  const items = me.user.isOperator ? [...NAV, { to: '/operator', label: 'Operator', icon: Building2 } as const] : NAV;
  return (
    <nav aria-label="Main" className="flex h-full flex-col gap-4 p-3">
      <div className="flex items-center gap-2 px-2 pt-1">
        <img src="/favicon.svg" alt="" className="size-7" />
        <span className="text-lg font-semibold tracking-tight">Switchyard</span>
      </div>
      <TenantSwitcher />
      <ul className="flex flex-col gap-0.5">
        {items.map(({ to, label, icon: Icon, ...rest }) => (
          <li key={to}>
            <NavLink
              to={to}
              end={'end' in rest ? rest.end : false}
              onClick={onNavigate}
              className={({ isActive }) =>
                cn(
                  'flex items-center gap-2.5 rounded-md px-2.5 py-2 text-sm font-medium',
                  isActive
                    ? 'bg-indigo-50 text-indigo-700 dark:bg-indigo-950 dark:text-indigo-200'
                    : 'text-slate-700 hover:bg-slate-100 dark:text-slate-300 dark:hover:bg-slate-800',
                )
              }
            >
              <Icon className="size-4 shrink-0" aria-hidden />
              {label}
            </NavLink>
          </li>
        ))}
      </ul>
    </nav>
  );
}

function UserMenu() {
  const me = useMe();
  const { logout } = useSession();
  return (
    <div className="flex items-center gap-1">
      <ThemeSwitcher />
      <NavLink
        to="/settings"
        className="hidden max-w-48 truncate rounded-md px-2 py-1.5 text-sm text-slate-600 hover:bg-slate-100 sm:block dark:text-slate-300 dark:hover:bg-slate-800"
        title={me.user.email}
      >
        {me.user.name}
      </NavLink>
      <button
        type="button"
        onClick={() => void logout()}
        // The text is hidden on a phone, where the icon alone must still be named.
        aria-label="Log out"
        className="flex items-center gap-1 rounded-md px-2 py-1.5 text-sm text-slate-600 hover:bg-slate-100 dark:text-slate-300 dark:hover:bg-slate-800"
      >
        <LogOut className="size-4" aria-hidden /> <span className="hidden sm:inline">Log out</span>
      </button>
    </div>
  );
}

/** The signed-in frame: sidebar on a desktop, a drawer behind a menu button on a phone. */
export function AppShell() {
  const [open, setOpen] = useState(false);
  const location = useLocation();
  useEffect(() => setOpen(false), [location.pathname]);
  return (
    <div className="min-h-dvh md:flex">
      <a
        href="#main"
        className="sr-only focus:not-sr-only focus:absolute focus:top-2 focus:left-2 focus:z-50 focus:rounded focus:bg-white focus:px-3 focus:py-2"
      >
        Skip to content
      </a>
      <aside className="hidden w-60 shrink-0 border-r border-slate-200 bg-white md:block dark:border-slate-800 dark:bg-slate-900">
        <div className="sticky top-0 h-dvh overflow-y-auto">
          <Sidebar />
        </div>
      </aside>
      {open && (
        <div className="fixed inset-0 z-40 md:hidden" role="dialog" aria-modal="true" aria-label="Menu">
          <div className="absolute inset-0 bg-slate-900/50" onClick={() => setOpen(false)} />
          <div className="absolute inset-y-0 left-0 w-64 overflow-y-auto bg-white shadow-xl dark:bg-slate-900">
            <button
              type="button"
              className="absolute top-3 right-3 rounded p-1 hover:bg-slate-100 dark:hover:bg-slate-800"
              aria-label="Close menu"
              onClick={() => setOpen(false)}
            >
              <X className="size-5" />
            </button>
            <Sidebar onNavigate={() => setOpen(false)} />
          </div>
        </div>
      )}
      <div className="flex min-w-0 flex-1 flex-col">
        <header className="sticky top-0 z-30 flex h-14 items-center justify-between gap-2 border-b border-slate-200 bg-white/90 px-3 backdrop-blur md:px-6 dark:border-slate-800 dark:bg-slate-900/90">
          <button
            type="button"
            className="rounded-md p-2 hover:bg-slate-100 md:hidden dark:hover:bg-slate-800"
            aria-label="Open menu"
            onClick={() => setOpen(true)}
          >
            <Menu className="size-5" />
          </button>
          <div className="flex items-center gap-2 md:hidden">
            <img src="/favicon.svg" alt="" className="size-6" />
            <span className="font-semibold">Switchyard</span>
          </div>
          <div className="hidden md:block" />
          <UserMenu />
        </header>
        <main id="main" className="mx-auto w-full max-w-7xl flex-1 p-4 md:p-6">
          <Suspense fallback={<Loading />}>
            <Outlet />
          </Suspense>
        </main>
      </div>
    </div>
  );
}
