import { PageHeader } from '../../../ui/layout';

// Placeholder until this page is built.
export default function Page() {
  return <PageHeader title="Workflow versions" description="This page is being built." />;
}
