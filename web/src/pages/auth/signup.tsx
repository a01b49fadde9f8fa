import { PageHeader } from '../../ui/layout';

// Placeholder until this page is built.
export default function Page() {
  return <PageHeader title="Sign up" description="This page is being built." />;
}
