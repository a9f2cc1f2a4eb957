// The transactions' filters: account, category, words, from/to (both days included), only the
// uncategorised. A GET form: the URL holds the filters (and works without JavaScript); with it,
// next/form navigates on the client.

import Form from 'next/form';
import Link from 'next/link';

import { categoryOptions, type FinanceAccount, type TransactionFilters } from '@/lib/finance';

export function TransactionFiltersForm({ filters, accounts, categories }: { filters: TransactionFilters; accounts: FinanceAccount[]; categories: FinanceAccount[] }) {
  return (
    <Form action="/finance/transactions" className="flex flex-wrap items-end gap-2" aria-label="Filters">
      <label className="flex flex-col gap-1">
        <span className="text-xs">Account</span>
        <select className="select select-sm w-44" name="account_id" defaultValue={filters.account_id ?? ''}>
          <option value="">All accounts</option>
          {accounts.map((a) => (
            <option key={a.id} value={a.id}>
              {a.name}
              {a.closed_at ? ' (closed)' : ''}
            </option>
          ))}
        </select>
      </label>
      <label className="flex flex-col gap-1">
        <span className="text-xs">Category</span>
        <select className="select select-sm w-44" name="category_id" defaultValue={filters.category_id ?? ''}>
          <option value="">All categories</option>
          {categoryOptions(categories).map((o) => (
            <option key={o.id} value={o.id}>
              {o.label}
            </option>
          ))}
        </select>
      </label>
      <label className="flex flex-col gap-1">
        <span className="text-xs">Words</span>
        <input className="input input-sm w-40" type="search" name="q" defaultValue={filters.q ?? ''} placeholder="Payee, description" />
      </label>
      <label className="flex flex-col gap-1">
        <span className="text-xs">From</span>
        <input className="input input-sm w-36" type="date" name="from" defaultValue={filters.from ?? ''} />
      </label>
      <label className="flex flex-col gap-1">
        <span className="text-xs">To</span>
        <input className="input input-sm w-36" type="date" name="to" defaultValue={filters.to ?? ''} />
      </label>
      <label className="flex items-center gap-1 pb-1.5 text-sm">
        <input type="checkbox" className="checkbox checkbox-sm" name="uncategorised" value="true" defaultChecked={!!filters.uncategorised} />
        Uncategorised only
      </label>
      {filters.import_id && <input type="hidden" name="import_id" value={filters.import_id} />}
      <button type="submit" className="btn btn-sm">
        Filter
      </button>
      <Link href="/finance/transactions" className="btn btn-sm btn-ghost">
        Clear
      </Link>
    </Form>
  );
}
