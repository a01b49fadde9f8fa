import type { ReactNode } from 'react';
import { Link } from 'react-router';

/** The sign-in pages' frame: the logo and a centred card, readable from a phone up. */
export function AuthLayout({
  title,
  description,
  children,
  footer,
}: {
  title: string;
  description?: ReactNode;
  children: ReactNode;
  footer?: ReactNode;
}) {
  return (
    <div className="flex min-h-dvh flex-col items-center bg-slate-50 px-4 py-10 text-slate-900 sm:justify-center dark:bg-slate-950 dark:text-slate-100">
      <Link
        to="/"
        className="mb-6 flex items-center gap-2 rounded-md text-lg font-semibold focus-visible:ring-2 focus-visible:ring-indigo-500 focus-visible:outline-none"
      >
        <img src="/favicon.svg" alt="" className="size-9" />
        Switchyard
      </Link>
      <main className="w-full max-w-sm rounded-xl border border-slate-200 bg-white p-6 shadow-sm sm:p-8 dark:border-slate-800 dark:bg-slate-900">
        <h1 className="text-xl font-semibold tracking-tight">{title}</h1>
        {description && <p className="mt-1 text-sm text-slate-500 dark:text-slate-400">{description}</p>}
        <div className="mt-6">{children}</div>
      </main>
      {footer && <div className="mt-6 text-center text-sm text-slate-600 dark:text-slate-400">{footer}</div>}
    </div>
  );
}

/** A link in the sign-in pages' text, with a visible focus ring. */
export function AuthLink({ to, children }: { to: string; children: ReactNode }) {
  return (
    <Link
      to={to}
      className="rounded font-medium text-indigo-600 hover:underline focus-visible:ring-2 focus-visible:ring-indigo-500 focus-visible:outline-none dark:text-indigo-400"
    >
      {children}
    </Link>
  );
}
