// The budget: a month's envelopes (`?month=YYYY-MM`, this month by default), previous/next.

import Link from 'next/link';

import { Budget } from '@/components/finance/budget';
import { CurrencyForm } from '@/components/finance/currency-form';
import { addMonth, isMonth, monthLabel, type BudgetMonth } from '@/lib/finance';
import { financeJson, maybe, personToday } from '@/lib/finance-server';

export const metadata = { title: 'Budget' };

export default async function BudgetPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const params = await searchParams;
  const asked = typeof params.month === 'string' ? params.month : undefined;
  const today = await personToday('/finance/budget');
  const month = isMonth(asked) ? asked : today.slice(0, 7);
  const here = `/finance/budget?month=${month}`;
  const [budget, settings] = await Promise.all([
    maybe<BudgetMonth>(`/budgets?month=${month}`, here),
    financeJson<{ currency: string | null }>('/settings', here),
  ]);
  return (
    <>
      <div className="flex flex-wrap items-center gap-2">
        <nav aria-label="Months" className="flex items-center gap-1">
          <Link className="btn btn-sm btn-ghost" href={`/finance/budget?month=${addMonth(month, -1)}`} aria-label="Previous month">
            ‹
          </Link>
          <Link className="btn btn-sm" href={`/finance/budget?month=${today.slice(0, 7)}`}>
            This month
          </Link>
          <Link className="btn btn-sm btn-ghost" href={`/finance/budget?month=${addMonth(month, 1)}`} aria-label="Next month">
            ›
          </Link>
        </nav>
        <h2 className="flex-1 text-lg font-semibold" data-testid="budget-month">
          {monthLabel(month)}
        </h2>
      </div>
      {budget.ok ? (
        <Budget key={month} budget={budget.value} />
      ) : (
        <div className="space-y-3">
          <p role="alert" className="text-error">
            {budget.error}
          </p>
          {!settings.currency && <CurrencyForm currency={settings.currency} />}
        </div>
      )}
    </>
  );
}
