// Accounts grouped as assets and liabilities, each with its balance in its own currency, and the
// net worth per currency (never two currencies added). Server-rendered: the overview's.

import Link from 'next/link';

import { accountsOf, netWorth, subtypeLabel, type FinanceAccount } from '@/lib/finance';

import { Money } from './money';

function Group({ title, accounts }: { title: string; accounts: FinanceAccount[] }) {
  if (accounts.length === 0) return null;
  return (
    <div>
      <h3 className="mb-1 text-sm font-semibold opacity-80">{title}</h3>
      <ul className="divide-y divide-base-300" aria-label={title}>
        {accounts.map((a) => (
          <li key={a.id} className="flex items-baseline gap-2 py-1.5" data-testid="account-row" data-account={a.name}>
            <Link className="link link-hover flex-1" href={`/finance/transactions?account_id=${a.id}`}>
              {a.name}
            </Link>
            {a.subtype && <span className="text-xs opacity-80">{subtypeLabel(a.subtype)}</span>}
            {a.closed_at && <span className="badge badge-sm badge-ghost">closed</span>}
            <span data-testid="account-balance">{a.balance !== null && a.currency ? <Money amount={a.balance} currency={a.currency} /> : '—'}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}

export function AccountList({ accounts }: { accounts: FinanceAccount[] }) {
  const open = accounts.filter((a) => !a.closed_at);
  const worth = netWorth(accounts);
  return (
    <div className="space-y-4">
      <Group title="Assets" accounts={accountsOf(open, 'asset')} />
      <Group title="Liabilities" accounts={accountsOf(open, 'liability')} />
      {worth.length > 0 && (
        <div className="border-t border-base-300 pt-2">
          <h3 className="text-sm font-semibold opacity-80">Net worth</h3>
          <ul aria-label="Net worth" data-testid="net-worth">
            {worth.map((w) => (
              <li key={w.currency} className="flex justify-between font-semibold">
                <span>{w.currency}</span>
                <Money amount={w.amount} currency={w.currency} />
              </li>
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}
