// Accounts and categories: open, close, reopen, reconcile accounts; make and delete categories.

import { Accounts } from '@/components/finance/accounts';
import { Categories } from '@/components/finance/categories';
import type { FinanceAccount } from '@/lib/finance';
import { financeJson, personToday } from '@/lib/finance-server';

export const metadata = { title: 'Accounts' };

const HERE = '/finance/accounts';

export default async function AccountsPage() {
  const [{ accounts }, { categories }, settings, today] = await Promise.all([
    financeJson<{ accounts: FinanceAccount[] }>('/accounts', HERE),
    financeJson<{ categories: FinanceAccount[] }>('/categories', HERE),
    financeJson<{ currency: string | null }>('/settings', HERE),
    personToday(HERE),
  ]);
  return (
    <>
      <Accounts accounts={accounts} currency={settings.currency ?? 'EUR'} today={today} />
      <Categories categories={categories} />
    </>
  );
}
