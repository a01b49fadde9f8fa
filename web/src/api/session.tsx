// Who is signed in. On load the page renews its access token from the refresh cookie (if any)
// and asks /auth/me; every sign-in path (password, MFA, invitation, SSO) ends in `begin`.
import { useQueryClient } from '@tanstack/react-query';
import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import {
  api,
  call,
  COOKIE_TRANSPORT,
  getAccessToken,
  refreshSession,
  type Schemas,
  setAccessToken,
  setSessionLostHandler,
} from './client';

export type Me = Schemas['Me'];
export type Role = Me['tenant']['role'];

/** What a sign-in call answers: a session, or the second-factor step. */
export type SignInResult = { mfaRequired: true; mfaToken: string } | { mfaRequired: false };

interface SessionValue {
  status: 'loading' | 'anonymous' | 'authenticated';
  me: Me | undefined;
  login(email: string, password: string): Promise<SignInResult>;
  completeMfa(mfaToken: string, code: string): Promise<void>;
  signup(body: Schemas['SignupInput']): Promise<void>;
  /** Starts the session from tokens another flow obtained (invitation sign-up, SSO). */
  begin(tokens: { accessToken?: string | undefined }): Promise<void>;
  logout(): Promise<void>;
  switchTenant(tenantId: string): Promise<void>;
  reloadMe(): Promise<void>;
}

const SessionContext = createContext<SessionValue | undefined>(undefined);

const ROLE_RANK: Record<Role, number> = { viewer: 0, editor: 1, admin: 2, owner: 3 };
/** Whether the signed-in role is at least `min` (the server decides; this only hides buttons). */
export function roleAtLeast(me: Me | undefined, min: Role): boolean {
  return me ? ROLE_RANK[me.tenant.role] >= ROLE_RANK[min] : false;
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  const [status, setStatus] = useState<SessionValue['status']>('loading');
  const [me, setMe] = useState<Me | undefined>();

  const loadMe = useCallback(async () => {
    const who = await call(api.GET('/api/v1/auth/me'));
    setMe(who);
    setStatus('authenticated');
  }, []);

  const end = useCallback(() => {
    setAccessToken(undefined);
    setMe(undefined);
    setStatus('anonymous');
    queryClient.clear();
  }, [queryClient]);

  useEffect(() => {
    setSessionLostHandler(end);
    let cancelled = false;
    (async () => {
      if (!getAccessToken() && !(await refreshSession())) {
        if (!cancelled) setStatus('anonymous');
        return;
      }
      try {
        await loadMe();
      } catch {
        if (!cancelled) end();
      }
    })();
    return () => {
      cancelled = true;
      setSessionLostHandler(undefined);
    };
  }, [end, loadMe]);

  const begin = useCallback(
    async (tokens: { accessToken?: string | undefined }) => {
      if (tokens.accessToken) setAccessToken(tokens.accessToken);
      else if (!(await refreshSession())) throw new Error('The sign-in did not start a session.');
      queryClient.clear();
      await loadMe();
    },
    [loadMe, queryClient],
  );

  const value = useMemo<SessionValue>(
    () => ({
      status,
      me,
      async login(email, password) {
        const res = await call(
          api.POST('/api/v1/auth/login', { body: { email, password }, headers: COOKIE_TRANSPORT }),
        );
        if ('mfaRequired' in res && res.mfaRequired) return { mfaRequired: true, mfaToken: res.mfaToken };
        await begin(res as { accessToken?: string });
        return { mfaRequired: false };
      },
      async completeMfa(mfaToken, code) {
        const res = await call(
          api.POST('/api/v1/auth/login/mfa', { body: { mfaToken, code }, headers: COOKIE_TRANSPORT }),
        );
        await begin(res as { accessToken?: string });
      },
      async signup(body) {
        const res = await call(api.POST('/api/v1/auth/signup', { body, headers: COOKIE_TRANSPORT }));
        await begin(res);
      },
      begin,
      async logout() {
        try {
          await call(api.POST('/api/v1/auth/logout'));
        } finally {
          end();
        }
      },
      async switchTenant(tenantId) {
        const res = await call(api.POST('/api/v1/auth/switch-tenant', { body: { tenantId } }));
        setAccessToken(res.accessToken);
        queryClient.clear();
        await loadMe();
      },
      reloadMe: loadMe,
    }),
    [status, me, begin, end, loadMe, queryClient],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession outside SessionProvider');
  return value;
}

/** The signed-in user; only for pages behind the sign-in guard. */
export function useMe(): Me {
  const { me } = useSession();
  if (!me) throw new Error('useMe on a page without a session');
  return me;
}
