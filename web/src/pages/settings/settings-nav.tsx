import { Bot, Building2, KeyRound, ShieldCheck, User, Users } from 'lucide-react';
import { NavLink, useLocation, useNavigate } from 'react-router';
import { cn } from '../../lib/cn';
import { Select } from '../../ui/form';

export const SETTINGS_TABS = [
  { to: '/settings', label: 'Profile', icon: User },
  { to: '/settings/security', label: 'Security', icon: ShieldCheck },
  { to: '/settings/members', label: 'Members', icon: Users },
  { to: '/settings/api-keys', label: 'API keys', icon: KeyRound },
  { to: '/settings/organization', label: 'Organization', icon: Building2 },
  { to: '/settings/ai', label: 'AI', icon: Bot },
] as const;

/** Tabs from the sm breakpoint up; a labelled select on a phone, where six tabs do not fit. */
export function SettingsNav() {
  const { pathname } = useLocation();
  const navigate = useNavigate();
  const current =
    SETTINGS_TABS.find((t) => t.to !== '/settings' && pathname.startsWith(t.to))?.to ??
    (pathname.replace(/\/$/, '') === '/settings' ? '/settings' : '');
  return (
    <>
      <div className="sm:hidden">
        <label htmlFor="settings-section" className="sr-only">
          Settings section
        </label>
        <Select id="settings-section" value={current} onChange={(e) => navigate(e.target.value)}>
          {current === '' && <option value="">Choose a section</option>}
          {SETTINGS_TABS.map((t) => (
            <option key={t.to} value={t.to}>
              {t.label}
            </option>
          ))}
        </Select>
      </div>
      <nav aria-label="Settings sections" className="hidden border-b border-slate-200 sm:block dark:border-slate-800">
        <ul className="-mb-px flex gap-1 overflow-x-auto">
          {SETTINGS_TABS.map(({ to, label, icon: Icon }) => (
            <li key={to}>
              <NavLink
                to={to}
                end={to === '/settings'}
                className={({ isActive }) =>
                  cn(
                    'inline-flex items-center gap-1.5 border-b-2 px-3 py-2 text-sm font-medium whitespace-nowrap focus-visible:rounded-t focus-visible:outline-2 focus-visible:outline-indigo-500',
                    isActive
                      ? 'border-indigo-600 text-indigo-700 dark:border-indigo-400 dark:text-indigo-300'
                      : 'border-transparent text-slate-600 hover:border-slate-300 hover:text-slate-900 dark:text-slate-400 dark:hover:text-slate-100',
                  )
                }
              >
                <Icon className="size-4" aria-hidden />
                {label}
              </NavLink>
            </li>
          ))}
        </ul>
      </nav>
    </>
  );
}
