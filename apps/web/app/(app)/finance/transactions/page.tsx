// Transactions: filtered by the URL (`?account_id=&category_id=&q=&from=&to=&uncategorised=&page=`),
// a page of 50 at a time, newest first; add, categorise and delete (components/finance). An
// account, category or import in the URL that is not the person's is not found, not an empty
// list.

import Link from 'next/link';
import { notFound } from 'next/navigation';

import { Money } from '@/components/finance/money';
import { TransactionFiltersForm } from '@/components/finance/transaction-filters';
import { Transactions } from '@/components/finance/transactions';
import { filtersHref, listQuery, PAGE_SIZE, parseFilters, type FinanceAccount, type Transaction } from '@/lib/finance';
import { financeJson, personToday } from '@/lib/finance-server';
import { ServiceError } from '@/lib/server/session';

export const metadata = { title: 'Transactions' };

export default async function TransactionsPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const filters = parseFilters(await searchParams);
  const here = filtersHref(filters);
  const [{ transactions }, { accounts }, { categories }, today] = await Promise.all([
    financeJson<{ transactions: Transaction[] }>(`/transactions?${listQuery(filters)}`, here),
    financeJson<{ accounts: FinanceAccount[] }>('/accounts', here),
    financeJson<{ categories: FinanceAccount[] }>('/categories', here),
    personToday(here),
  ]);
  if (filters.account_id && !accounts.some((a) => a.id === filters.account_id)) notFound();
  if (filters.category_id && !categories.some((c) => c.id === filters.category_id)) notFound();
  if (filters.import_id) {
    try {
      await financeJson<unknown>(`/imports/${filters.import_id}`, here);
    } catch (error) {
      if (error instanceof ServiceError && error.status === 404) notFound();
      throw error;
    }
  }
  const account = filters.account_id ? accounts.find((a) => a.id === filters.account_id) : undefined;
  const more = transactions.length > PAGE_SIZE;
  const shown = transactions.slice(0, PAGE_SIZE);
  return (
    <>
      {account && (
        <div className="flex flex-wrap items-baseline gap-3" data-testid="account-summary">
          <h2 className="text-lg font-semibold">{account.name}</h2>
          {account.balance !== null && account.currency && <Money amount={account.balance} currency={account.currency} className="text-lg" />}
          {account.closed_at && <span className="badge badge-ghost">closed</span>}
          {!account.closed_at && (
            <Link className="link text-sm" href={`/finance/import?account_id=${account.id}`}>
              Import a bank file into it
            </Link>
          )}
        </div>
      )}
      <TransactionFiltersForm key={here} filters={filters} accounts={accounts} categories={categories} />
      <Transactions transactions={shown} accounts={accounts} categories={categories} accountId={filters.account_id} today={today} />
      {(filters.page > 1 || more) && (
        <nav aria-label="Pages" className="flex items-center gap-2">
          {filters.page > 1 && (
            <Link className="btn btn-sm" href={filtersHref({ ...filters, page: filters.page - 1 })}>
              Newer
            </Link>
          )}
          <span className="text-sm">Page {filters.page}</span>
          {more && (
            <Link className="btn btn-sm" href={filtersHref({ ...filters, page: filters.page + 1 })}>
              Older
            </Link>
          )}
        </nav>
      )}
    </>
  );
}
