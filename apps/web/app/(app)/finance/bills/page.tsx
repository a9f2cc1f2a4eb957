// Bills: what a person expects to pay again and again, with their dues of the last 30 and next
// 60 days (components/finance/bills.tsx).

import { Bills } from '@/components/finance/bills';
import type { Bill, FinanceAccount, UpcomingBills } from '@/lib/finance';
import { financeJson, maybe, personToday } from '@/lib/finance-server';

export const metadata = { title: 'Bills' };

const HERE = '/finance/bills';

export default async function BillsPage() {
  const [{ bills }, dues, { accounts }, settings, today] = await Promise.all([
    financeJson<{ bills: Bill[] }>('/bills', HERE),
    maybe<UpcomingBills>('/reports/upcoming-bills?days=60&past=30', HERE),
    financeJson<{ accounts: FinanceAccount[] }>('/accounts', HERE),
    financeJson<{ currency: string | null }>('/settings', HERE),
    personToday(HERE),
  ]);
  return <Bills bills={bills} dues={dues.ok ? dues.value : null} accounts={accounts} currency={settings.currency ?? 'EUR'} today={today} />;
}
