// /settings/*: the account, the organisation and its access, one sub-page each. Tabs on a wide
// screen, a select on a phone; the sub-pages are nested routes so each has its own URL.
import { Route, Routes } from 'react-router';
import { PageHeader } from '../../ui/layout';
import { AiPage } from './ai';
import { ApiKeysPage } from './api-keys';
import { MembersPage } from './members';
import { OrganizationPage } from './organization';
import { ProfilePage } from './profile';
import { SecurityPage } from './security';
import { SettingsNav } from './settings-nav';
import { EmptyState } from '../../ui/feedback';
import { LinkButton } from '../../ui/button';

export default function SettingsPage() {
  return (
    <div className="mx-auto max-w-5xl">
      <PageHeader title="Settings" description="Your account, your organisation and who can reach it." />
      <SettingsNav />
      <div className="mt-6">
        <Routes>
          <Route index element={<ProfilePage />} />
          <Route path="security" element={<SecurityPage />} />
          <Route path="members" element={<MembersPage />} />
          <Route path="api-keys" element={<ApiKeysPage />} />
          <Route path="organization" element={<OrganizationPage />} />
          <Route path="ai" element={<AiPage />} />
          <Route
            path="*"
            element={
              <EmptyState
                title="No such settings page"
                action={
                  <LinkButton to="/settings" variant="primary">
                    Back to your profile
                  </LinkButton>
                }
              />
            }
          />
        </Routes>
      </div>
    </div>
  );
}
