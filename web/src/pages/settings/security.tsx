import { MfaCard } from './mfa-card';
import { PasswordCard } from './password-card';
import { SessionsCard } from './sessions-card';

/** Everything that protects the account: the password, the second factor, where it is signed in. */
export function SecurityPage() {
  return (
    <div className="space-y-6">
      <PasswordCard />
      <MfaCard />
      <SessionsCard />
    </div>
  );
}
