'use client';
// A month's budget: each expense category's envelope (what it was given — editable —, its
// activity, what is available; overspent ones in red) and what is left to budget. A changed
// amount is sent when the field is left or Enter is pressed (`PUT /v1/finance/budgets/{category}/{month}`),
// then the month is fetched again: every figure is agents', none computed here.

import { useRouter } from 'next/navigation';
import { useState, useTransition } from 'react';

import { api, ApiError } from '@/lib/client/api';
import { cleanAmount, compareAmounts, formatAmount, isDecimal, isNegative, monthLabel, type BudgetMonth, type CategoryEnvelope } from '@/lib/finance';

import { FieldError, Money, Scroll, wired } from './money';

/** Categories in tree order (parents before their children), each with its depth. */
export function treeOrder(categories: CategoryEnvelope[]): { c: CategoryEnvelope; depth: number }[] {
  const ids = new Set(categories.map((c) => c.category_id));
  const children = new Map<string | null, CategoryEnvelope[]>();
  for (const c of categories) {
    const parent = c.parent_id && ids.has(c.parent_id) ? c.parent_id : null;
    children.set(parent, [...(children.get(parent) ?? []), c]);
  }
  const out: { c: CategoryEnvelope; depth: number }[] = [];
  const walk = (parent: string | null, depth: number) => {
    for (const c of children.get(parent) ?? []) {
      out.push({ c, depth });
      if (depth < 20) walk(c.category_id, depth + 1);
    }
  };
  walk(null, 0);
  return out;
}

function Budgeted({ envelope, month, currency, onSaved }: { envelope: CategoryEnvelope; month: string; currency: string; onSaved: (message: string) => void }) {
  const [value, setValue] = useState(envelope.budgeted);
  const [error, setError] = useState<string[] | undefined>();
  const [busy, setBusy] = useState(false);
  const errorId = `budget-${envelope.category_id}-error`;

  async function save() {
    const amount = cleanAmount(value) || '0';
    if (!isDecimal(amount)) {
      setError(['Write the amount as digits, like 300.00.']);
      return;
    }
    if (compareAmounts(amount, envelope.budgeted) === 0) {
      setError(undefined);
      return;
    }
    setBusy(true);
    try {
      await api(`/agents/v1/finance/budgets/${envelope.category_id}/${month}`, { method: 'PUT', body: { amount } });
      setError(undefined);
      onSaved(`${envelope.name}: ${formatAmount(amount, currency)} budgeted for ${monthLabel(month)}.`);
    } catch (e) {
      setError(e instanceof ApiError && e.fields.amount ? e.fields.amount : [(e as Error).message]);
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      <input
        className="input input-sm w-28 text-right tabular-nums"
        inputMode="decimal"
        aria-label={`Budgeted for ${envelope.name}`}
        value={value}
        disabled={busy}
        onChange={(e) => setValue(e.target.value)}
        onBlur={() => void save()}
        onKeyDown={(e) => {
          if (e.key === 'Enter') {
            e.preventDefault();
            void save();
          }
        }}
        {...wired(errorId, error)}
      />
      <FieldError id={errorId} messages={error} />
    </>
  );
}

export function Budget({ budget }: { budget: BudgetMonth }) {
  const router = useRouter();
  const [refreshing, startRefresh] = useTransition();
  const [flash, setFlash] = useState<string | null>(null);
  const { currency, month } = budget;
  const rows = treeOrder(budget.categories);
  const over = isNegative(budget.to_be_budgeted);

  return (
    <div className="space-y-4" aria-busy={refreshing}>
      <dl className="stats stats-vertical bg-base-100 shadow-sm sm:stats-horizontal" data-testid="budget-summary">
        <div className="stat">
          <dt className="stat-title">To be budgeted</dt>
          <dd className={`stat-value text-2xl ${over ? 'text-error' : ''}`} data-testid="to-be-budgeted">
            <Money amount={budget.to_be_budgeted} currency={currency} />
          </dd>
          {over && <dd className="stat-desc text-error">More is budgeted than there is.</dd>}
        </div>
        <div className="stat">
          <dt className="stat-title">Income this month</dt>
          <dd className="stat-value text-2xl">
            <Money amount={budget.income} currency={currency} />
          </dd>
          <dd className="stat-desc">
            Carried in <Money amount={budget.carried_in} currency={currency} />
            {!isNegative(budget.overspent_last_month) && compareAmounts(budget.overspent_last_month, '0') !== 0 && (
              <>
                , overspent last month <Money amount={budget.overspent_last_month} currency={currency} />
              </>
            )}
          </dd>
        </div>
        <div className="stat">
          <dt className="stat-title">Budgeted</dt>
          <dd className="stat-value text-2xl">
            <Money amount={budget.budgeted} currency={currency} />
          </dd>
          <dd className="stat-desc">
            Activity <Money amount={budget.activity} currency={currency} />
          </dd>
        </div>
      </dl>
      {flash && (
        <div role="status" className="alert alert-success alert-soft">
          <span>{flash}</span>
        </div>
      )}
      {rows.length === 0 ? (
        <p className="opacity-80">No expense categories yet: make some under Accounts.</p>
      ) : (
        <Scroll label={`Budget for ${monthLabel(month)}`}>
          <table className="table table-sm bg-base-100" aria-label={`Budget for ${monthLabel(month)}`}>
            <thead>
              <tr>
                <th scope="col">Category</th>
                <th scope="col" className="text-right">
                  Budgeted
                </th>
                <th scope="col" className="text-right">
                  Activity
                </th>
                <th scope="col" className="text-right">
                  Available
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map(({ c, depth }) => (
                <tr key={c.category_id} data-testid="envelope" data-category={c.name} data-overspent={c.overspent}>
                  <th scope="row" className="font-normal" style={{ paddingLeft: `${0.75 + depth * 1.25}rem` }}>
                    {c.name}
                  </th>
                  <td className="text-right">
                    <Budgeted
                      key={`${c.category_id}-${month}-${c.budgeted}`}
                      envelope={c}
                      month={month}
                      currency={currency}
                      onSaved={(m) => {
                        setFlash(m);
                        startRefresh(() => router.refresh());
                      }}
                    />
                  </td>
                  <td className="text-right">
                    <Money amount={c.activity} currency={currency} />
                  </td>
                  <td className="text-right" data-testid="available">
                    {c.overspent ? (
                      <span className="badge badge-error gap-1">
                        <Money amount={c.available} currency={currency} />
                        <span className="sr-only">overspent</span>
                      </span>
                    ) : (
                      <Money amount={c.available} currency={currency} />
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </Scroll>
      )}
    </div>
  );
}
