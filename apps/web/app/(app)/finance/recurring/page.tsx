// Recurring transactions: what agents posts by itself on each due date (components/finance/recurring.tsx).

import { Recurring } from '@/components/finance/recurring';
import type { FinanceAccount, RecurringView } from '@/lib/finance';
import { financeJson, personToday } from '@/lib/finance-server';

export const metadata = { title: 'Recurring' };

const HERE = '/finance/recurring';

export default async function RecurringPage() {
  const [{ recurring }, { accounts }, { categories }, today] = await Promise.all([
    financeJson<{ recurring: RecurringView[] }>('/recurring', HERE),
    financeJson<{ accounts: FinanceAccount[] }>('/accounts', HERE),
    financeJson<{ categories: FinanceAccount[] }>('/categories', HERE),
    personToday(HERE),
  ]);
  return <Recurring items={recurring} accounts={accounts} categories={categories} today={today} />;
}
