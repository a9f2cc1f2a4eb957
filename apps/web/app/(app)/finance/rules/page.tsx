// Rules: what imports do to each line (components/finance/rules.tsx).

import { Rules, type SavedRule } from '@/components/finance/rules';
import type { FinanceAccount } from '@/lib/finance';
import { financeJson } from '@/lib/finance-server';

export const metadata = { title: 'Rules' };

const HERE = '/finance/rules';

export default async function RulesPage() {
  const [{ rules }, { categories }, { accounts }] = await Promise.all([
    financeJson<{ rules: SavedRule[] }>('/rules', HERE),
    financeJson<{ categories: FinanceAccount[] }>('/categories', HERE),
    financeJson<{ accounts: FinanceAccount[] }>('/accounts', HERE),
  ]);
  return <Rules rules={rules} categories={categories} accounts={accounts} />;
}
