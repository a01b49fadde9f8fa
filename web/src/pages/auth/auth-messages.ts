// Words for what the sign-in API answers, and the small checks the sign-in pages share. Kept
// free of React so they are unit-tested (auth-messages.test.ts).

/** The parts of an ApiError these helpers read (so tests need no DOM or fetch). */
export interface ProblemLike {
  status: number;
  code: string;
  message: string;
  problem: Record<string, unknown>;
}

/**
 * Where to go after signing in: only a path on this server. `//evil.example` and `/\evil`
 * are protocol-relative URLs to another host in browsers, so they fall back to `/`.
 */
export function safeNext(next: string | null | undefined): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return '/';
  if (/[\s\\]/.test(next)) return '/';
  return next;
}

/** "about 14 minutes", "45 seconds": how long to wait, in words. */
export function formatWait(seconds: number): string {
  if (seconds < 60) return `${Math.max(1, Math.round(seconds))} second${Math.round(seconds) === 1 ? '' : 's'}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minute${minutes === 1 ? '' : 's'}`;
}

function retryAfter(err: ProblemLike): number | undefined {
  const v = err.problem.retryAfterSeconds;
  return typeof v === 'number' && v > 0 ? v : undefined;
}

/** The clock time a lock ends, for "until 14:32". */
function untilClock(seconds: number, now: number): string {
  return new Date(now + seconds * 1000).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
}

/** A refused login, sign-up or code in words a person can act on. */
export function signInErrorMessage(err: ProblemLike, now = Date.now()): string {
  const wait = retryAfter(err);
  switch (err.code) {
    case 'AUTH_INVALID_CREDENTIALS':
      return 'That email and password do not match an account. Check them, or reset your password.';
    case 'AUTH_ACCOUNT_LOCKED':
      return wait
        ? `Too many wrong passwords: this account is locked for ${formatWait(wait)} (until ${untilClock(wait, now)}). Reset your password to unlock it now.`
        : 'Too many wrong passwords: this account is locked for a while. Reset your password to unlock it now.';
    case 'AUTH_RATE_LIMITED':
    case 'RATE_LIMITED':
      return `Too many attempts from your network. Try again in ${formatWait(wait ?? 60)}.`;
    case 'AUTH_ACCOUNT_DISABLED':
      return 'This account is disabled. Ask the administrator of this Switchyard instance.';
    case 'AUTH_NO_TENANT':
      return 'None of your organisations is active: it may be suspended or deleted, or you were removed. Ask its admin or the administrator of this instance.';
    case 'TENANT_SUSPENDED':
      return 'This organisation is suspended. Ask the administrator of this Switchyard instance.';
    case 'AUTH_SIGNUP_CLOSED':
      return 'Sign-up is closed on this instance: only invited people can join. Ask an admin of your organisation for an invitation.';
    case 'AUTH_EMAIL_TAKEN':
      return 'An account with this email already exists. Log in instead, or reset its password.';
    case 'AUTH_WEAK_PASSWORD':
      return 'Choose a stronger password (see below).';
    case 'MFA_INVALID_CODE': {
      const left = err.problem.attemptsLeft;
      return typeof left === 'number'
        ? `That code is not right. ${left} attempt${left === 1 ? '' : 's'} left.`
        : 'That code is not right.';
    }
    case 'MFA_CODE_REUSED':
      return 'That code was already used. Wait for the next one in your authenticator app.';
    case 'MFA_CHALLENGE_EXPIRED':
      return 'This sign-in took too long or had too many wrong codes. Log in again with your password.';
    case 'MFA_TOO_MANY_ATTEMPTS':
      return `Too many wrong codes for this account. Try again in ${formatWait(wait ?? 900)}.`;
    case 'NETWORK_ERROR':
      return err.message;
    case 'VALIDATION_FAILED':
      return 'Some fields need attention (see below).';
    default:
      return err.message || `The request failed (${err.status}).`;
  }
}

/** Why a single sign-on came back refused (the callback's `?ssoError=<CODE>`). */
export function ssoErrorMessage(code: string): string {
  switch (code) {
    case 'SSO_STATE_INVALID':
    case 'SSO_STATE_MISMATCH':
      return 'That single sign-on attempt expired or was started in another browser. Start again.';
    case 'SSO_IDP_ERROR':
      return 'The identity provider refused the sign-in.';
    case 'SSO_CODE_REJECTED':
    case 'SSO_ID_TOKEN_INVALID':
      return "The identity provider's answer could not be verified. Start again; if it keeps failing, tell your administrator.";
    case 'SSO_EMAIL_NOT_VERIFIED':
      return 'The identity provider did not confirm your email address, so Switchyard cannot match or create your account.';
    case 'SSO_ACCOUNT_NOT_VERIFIED':
      return 'An account with your email exists but has not confirmed its address. Log in with your password and verify your email first; then single sign-on works.';
    case 'SSO_EMAIL_IN_USE':
      return "An account with your email exists outside this provider's organisation. Log in with that account's password instead.";
    case 'SSO_NOT_A_MEMBER':
      return "You are no longer a member of this provider's organisation. Ask an admin to invite you again.";
    case 'SSO_PROVIDER_NOT_FOUND':
      return 'That sign-in provider is no longer available.';
    case 'SSO_PROVIDER_UNAVAILABLE':
    case 'SSO_DISCOVERY_FAILED':
      return 'The identity provider did not answer. Try again in a moment.';
    case 'AUTH_SIGNUP_CLOSED':
      return 'Sign-up is closed on this instance, and there is no account for you yet. Ask an admin for an invitation.';
    case 'AUTH_RATE_LIMITED':
      return 'Too many sign-in attempts from your network. Wait a minute and try again.';
    case 'TENANT_SUSPENDED':
    case 'AUTH_NO_TENANT':
      return 'Your organisation is suspended or gone. Ask the administrator of this Switchyard instance.';
    case 'AUTH_ACCOUNT_DISABLED':
      return 'This account is disabled. Ask the administrator of this Switchyard instance.';
    default:
      return `Single sign-on failed (${code}). Try again, or log in with your password.`;
  }
}

/** What the password policy will check, shown while typing; the server has the last word. */
export function passwordHints(password: string, who: { email?: string; name?: string } = {}): string[] {
  const hints: string[] = [];
  if (password.length < 10) hints.push(`At least 10 characters (${10 - password.length} more)`);
  if (new TextEncoder().encode(password).length > 256) hints.push('At most 256 bytes');
  const lower = password.toLowerCase();
  const local = who.email?.split('@')[0]?.toLowerCase() ?? '';
  if (local.length >= 3 && lower.includes(local)) hints.push('Must not contain your email');
  const name = who.name?.trim().toLowerCase() ?? '';
  if (name.length >= 3 && lower.includes(name)) hints.push('Must not contain your name');
  return hints;
}
