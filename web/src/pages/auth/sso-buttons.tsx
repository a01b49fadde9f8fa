import { useQuery } from '@tanstack/react-query';
import { KeyRound } from 'lucide-react';
import { api, call } from '../../api/client';
import { buttonClass } from '../../ui/button';

/**
 * One button per single sign-on provider the instance offers; nothing at all when there are
 * none (or the list cannot be read: the password form still works). A button is a plain link:
 * the browser leaves for the provider and comes back through the API's callback.
 */
export function SsoButtons({ next }: { next: string }) {
  const providers = useQuery({
    queryKey: ['auth', 'sso-providers'],
    queryFn: () => call(api.GET('/api/v1/auth/sso/providers')),
    staleTime: 60_000,
    retry: false,
  });
  const list = providers.data?.data ?? [];
  if (list.length === 0) return null;
  const query = next === '/' ? '' : `?redirectTo=${encodeURIComponent(next)}`;
  return (
    <div className="mt-6">
      <div className="flex items-center gap-3 text-xs text-slate-500 uppercase dark:text-slate-400">
        <span className="h-px flex-1 bg-slate-200 dark:bg-slate-800" />
        or
        <span className="h-px flex-1 bg-slate-200 dark:bg-slate-800" />
      </div>
      <ul className="mt-4 space-y-2">
        {list.map((p) => (
          <li key={p.id}>
            <a href={`${p.startUrl}${query}`} className={`${buttonClass('secondary')} w-full`}>
              {p.kind === 'github' ? <GithubMark /> : <KeyRound aria-hidden className="size-4" />}
              Continue with {p.name}
            </a>
          </li>
        ))}
      </ul>
    </div>
  );
}

/** GitHub's mark (lucide dropped brand icons). */
function GithubMark() {
  return (
    <svg aria-hidden viewBox="0 0 16 16" className="size-4" fill="currentColor">
      <path d="M8 0C3.58 0 0 3.58 0 8c0 3.54 2.29 6.53 5.47 7.59.4.07.55-.17.55-.38 0-.19-.01-.82-.01-1.49-2.01.37-2.53-.49-2.69-.94-.09-.23-.48-.94-.82-1.13-.28-.15-.68-.52-.01-.53.63-.01 1.08.58 1.23.82.72 1.21 1.87.87 2.33.66.07-.52.28-.87.51-1.07-1.78-.2-3.64-.89-3.64-3.95 0-.87.31-1.59.82-2.15-.08-.2-.36-1.02.08-2.12 0 0 .67-.21 2.2.82.64-.18 1.32-.27 2-.27.68 0 1.36.09 2 .27 1.53-1.04 2.2-.82 2.2-.82.44 1.1.16 1.92.08 2.12.51.56.82 1.27.82 2.15 0 3.07-1.87 3.75-3.65 3.95.29.25.54.73.54 1.48 0 1.07-.01 1.93-.01 2.2 0 .21.15.46.55.38A8.01 8.01 0 0 0 16 8c0-4.42-3.58-8-8-8Z" />
    </svg>
  );
}
