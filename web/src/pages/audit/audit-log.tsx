import { PageHeader } from '../../ui/layout';

// Placeholder until this page is built.
export default function Page() {
  return <PageHeader title="Audit log" description="This page is being built." />;
}
