// Money at a glance: the accounts with their balances (assets, liabilities), net worth per
// currency, this month's spending by category, and the bills due soon.

import Link from 'next/link';

import { AccountList } from '@/components/finance/account-list';
import { HBars } from '@/components/finance/charts';
import { Money } from '@/components/finance/money';
import { dayLabel, lastDayOf, monthLabel, monthRange, type FinanceAccount, type SpendingReport, type UpcomingBills } from '@/lib/finance';
import { financeJson, maybe, personToday } from '@/lib/finance-server';

export const metadata = { title: 'Money' };

const HERE = '/finance';

export default async function FinanceOverview() {
  const today = await personToday(HERE);
  const month = today.slice(0, 7);
  const { from, to } = monthRange(month);
  const [{ accounts }, spending, bills] = await Promise.all([
    financeJson<{ accounts: FinanceAccount[] }>('/accounts', HERE),
    maybe<SpendingReport>(`/reports/spending?${new URLSearchParams({ from, to, by: 'category' })}`, HERE),
    maybe<UpcomingBills>('/reports/upcoming-bills?days=30&past=0', HERE),
  ]);
  const due = bills.ok ? bills.value.bills.flatMap((b) => b.dues.filter((d) => d.status !== 'paid').map((d) => ({ ...d, bill: b }))).sort((a, b) => a.date.localeCompare(b.date)) : [];

  return (
    <div className="grid gap-4 lg:grid-cols-2">
      <section className="card bg-base-100 shadow-sm" aria-labelledby="accounts-title">
        <div className="card-body">
          <h2 id="accounts-title" className="card-title text-base">
            Accounts
          </h2>
          {accounts.length === 0 ? (
            <p>
              No accounts yet. <Link className="link" href="/finance/accounts">Open your first account</Link> to start.
            </p>
          ) : (
            <AccountList accounts={accounts} />
          )}
        </div>
      </section>
      <section className="card bg-base-100 shadow-sm" aria-labelledby="spending-title">
        <div className="card-body">
          <h2 id="spending-title" className="card-title text-base">
            Spending in {monthLabel(month)}
          </h2>
          {spending.ok ? (
            <HBars
              title={`Spending in ${monthLabel(month)} by category`}
              empty="No spending this month yet."
              rows={spending.value.totals.map((t) => ({
                key: `${t.id}-${t.currency}`,
                label: t.name ?? '(no name)',
                amount: t.amount,
                currency: t.currency,
                href: t.id ? `/finance/transactions?${new URLSearchParams({ category_id: t.id, from, to: lastDayOf(month) })}` : undefined,
              }))}
            />
          ) : (
            <p className="text-sm text-error">{spending.error}</p>
          )}
          <Link className="link text-sm" href="/finance/reports">
            All reports
          </Link>
        </div>
      </section>
      <section className="card bg-base-100 shadow-sm lg:col-span-2" aria-labelledby="bills-title">
        <div className="card-body">
          <h2 id="bills-title" className="card-title text-base">
            Bills due in the next 30 days
          </h2>
          {!bills.ok ? (
            <p className="text-sm text-error">{bills.error}</p>
          ) : due.length === 0 ? (
            <p className="text-sm opacity-80">No bills due.</p>
          ) : (
            <ul className="divide-y divide-base-300" aria-label="Bills due" data-testid="bills">
              {due.map((d) => (
                <li key={`${d.bill.bill_id}-${d.date}`} className="flex items-baseline gap-2 py-1.5">
                  <span className="w-28 text-sm">{dayLabel(d.date)}</span>
                  <span className="flex-1">{d.bill.name}</span>
                  {d.status === 'missed' && <span className="badge badge-sm badge-error">missed</span>}
                  <Money amount={d.bill.amount} currency={d.bill.currency} />
                </li>
              ))}
            </ul>
          )}
          <Link className="link text-sm" href="/finance/bills">
            Your bills
          </Link>
        </div>
      </section>
    </div>
  );
}
