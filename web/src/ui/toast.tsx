import { createContext, type ReactNode, useCallback, useContext, useState } from 'react';
import { cn } from '../lib/cn';

type Toast = { id: number; message: string; tone: 'success' | 'danger' | 'info' };
const ToastContext = createContext<((message: string, tone?: Toast['tone']) => void) | undefined>(undefined);

/** Short confirmations ("Saved version 3") announced to screen readers too. */
export function ToastProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const push = useCallback((message: string, tone: Toast['tone'] = 'success') => {
    const id = Date.now() + Math.random();
    setToasts((t) => [...t, { id, message, tone }]);
    setTimeout(() => setToasts((t) => t.filter((x) => x.id !== id)), 4000);
  }, []);
  return (
    <ToastContext.Provider value={push}>
      {children}
      <div aria-live="polite" className="pointer-events-none fixed right-4 bottom-4 z-50 flex flex-col gap-2">
        {toasts.map((t) => (
          <div
            key={t.id}
            className={cn(
              'pointer-events-auto rounded-md px-4 py-2 text-sm text-white shadow-lg',
              t.tone === 'success' && 'bg-emerald-600',
              t.tone === 'danger' && 'bg-red-600',
              t.tone === 'info' && 'bg-slate-800',
            )}
          >
            {t.message}
          </div>
        ))}
      </div>
    </ToastContext.Provider>
  );
}

export function useToast() {
  const push = useContext(ToastContext);
  if (!push) throw new Error('useToast outside ToastProvider');
  return push;
}
