// The finance pages: a person's accounts, transactions, imports, budget and reports (agents'
// finance plugin, `/v1/finance`), under one header with their own tabs.

import { FinanceTabs } from '@/components/finance/finance-tabs';
import { PageHeader } from '@/components/page-header';

export default function FinanceLayout({ children }: { children: React.ReactNode }) {
  return (
    <>
      <PageHeader title="Money" />
      <FinanceTabs />
      <div className="mx-auto w-full max-w-6xl space-y-6 p-4">{children}</div>
    </>
  );
}
