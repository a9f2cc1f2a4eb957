'use client';
// The transactions listing: each one from its account's side (the filtered account's, when one
// is), its category chosen in place (a `PATCH` of `category_id` alone), its splits changed in
// the transaction form (Edit), and deleted. A
// reconciled transaction changes only after the person confirms it (agents' 409, then again
// with `confirm_reconciled`). After a change the page's data is fetched again.

import { useRouter } from 'next/navigation';
import { useState, useTransition } from 'react';

import { Notices } from '@/components/alerts';
import { api, ApiError } from '@/lib/client/api';
import { categoryOptions, dayLabel, transactionTitle, viewOf, type FinanceAccount, type Transaction } from '@/lib/finance';

import { Money, Scroll } from './money';
import { TransactionForm } from './transaction-form';

function Row({
  t,
  categories,
  accountId,
  busy,
  onCategorise,
  onEdit,
  onDelete,
}: {
  t: Transaction;
  categories: FinanceAccount[];
  accountId?: string;
  busy: boolean;
  onCategorise: (t: Transaction, category: string) => void;
  onEdit: (t: Transaction) => void;
  onDelete: (t: Transaction) => void;
}) {
  const v = viewOf(t, categories, accountId);
  const title = transactionTitle(t);
  const others = v.accounts.filter((s) => s !== v.main);
  return (
    <tr data-testid="transaction" data-id={t.id} data-status={t.status}>
      <td className="whitespace-nowrap">{dayLabel(t.date)}</td>
      <th scope="row" className="font-normal">
        <span className="font-medium">{title}</span>
        {t.recurring_id && (
          <span className="badge badge-xs badge-ghost ml-1" data-testid="posted-by-recurring">
            recurring
          </span>
        )}
        {t.description && t.payee && <span className="block text-xs opacity-80">{t.description}</span>}
        {t.tags.length > 0 && (
          <span className="mt-0.5 flex flex-wrap gap-1">
            {t.tags.map((tag) => (
              <span key={tag} className="badge badge-xs badge-ghost">
                {tag}
              </span>
            ))}
          </span>
        )}
      </th>
      <td>{v.main?.account_name ?? ''}</td>
      <td>
        {v.transfer ? (
          <span>Transfer {v.main && v.main.amount.startsWith('-') ? 'to' : 'from'} {others.map((s) => s.account_name).join(', ')}</span>
        ) : v.category ? (
          <select
            className={`select select-sm w-full max-w-52 ${v.uncategorised ? 'select-warning' : ''}`}
            aria-label={`Category of ${title} on ${dayLabel(t.date)}`}
            value={v.category.account_id}
            disabled={busy}
            onChange={(e) => onCategorise(t, e.target.value)}
          >
            {categoryOptions(categories).map((o) => (
              <option key={o.id} value={o.id}>
                {o.label}
              </option>
            ))}
          </select>
        ) : (
          <span className="text-sm">
            {t.splits
              .filter((s) => s !== v.main)
              .map((s) => s.account_name)
              .join(', ')}
          </span>
        )}
      </td>
      <td className="text-right" data-testid="amount">
        {v.main ? <Money amount={v.main.amount} currency={v.main.currency} tone /> : null}
      </td>
      <td>
        {t.status === 'reconciled' ? (
          <span className="badge badge-sm badge-success" title="Reconciled">
            reconciled
          </span>
        ) : t.status === 'cleared' ? (
          <span className="badge badge-sm badge-ghost">cleared</span>
        ) : null}
      </td>
      <td className="whitespace-nowrap">
        <button type="button" className="btn btn-ghost btn-xs" disabled={busy} onClick={() => onEdit(t)} aria-label={`Edit ${title} on ${dayLabel(t.date)}`}>
          Edit
        </button>
        <button type="button" className="btn btn-ghost btn-xs text-error" disabled={busy} onClick={() => onDelete(t)} aria-label={`Delete ${title} on ${dayLabel(t.date)}`}>
          Delete
        </button>
      </td>
    </tr>
  );
}

export function Transactions({
  transactions,
  accounts,
  categories,
  accountId,
  today,
}: {
  transactions: Transaction[];
  accounts: FinanceAccount[];
  categories: FinanceAccount[];
  accountId?: string;
  today: string;
}) {
  const router = useRouter();
  const [refreshing, startRefresh] = useTransition();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [flash, setFlash] = useState<string | null>(null);
  const [adding, setAdding] = useState(false);
  const [editing, setEditing] = useState<Transaction | null>(null);
  const refresh = () => startRefresh(() => router.refresh());

  /** Runs `call`; on agents' 409 for a reconciled transaction asks, then runs it confirmed. */
  async function withReconciledConfirm(t: Transaction, call: (confirm: boolean) => Promise<unknown>, question: string): Promise<boolean> {
    try {
      await call(false);
      return true;
    } catch (e) {
      if (e instanceof ApiError && e.status === 409 && t.status === 'reconciled') {
        if (!window.confirm(`${question} It is reconciled against a bank statement: changing it may make that statement no longer match.`)) return false;
        await call(true);
        return true;
      }
      throw e;
    }
  }

  async function categorise(t: Transaction, category: string) {
    setError(null);
    setFlash(null);
    setBusy(true);
    try {
      const done = await withReconciledConfirm(
        t,
        (confirm) => api(`/agents/v1/finance/transactions/${t.id}`, { method: 'PATCH', body: confirm ? { category_id: category, confirm_reconciled: true } : { category_id: category } }),
        `Change the category of “${transactionTitle(t)}”?`,
      );
      if (done) {
        const name = categories.find((c) => c.id === category)?.name ?? 'the category';
        setFlash(`“${transactionTitle(t)}” is now in ${name}.`);
      }
      refresh();
    } catch (e) {
      setError((e as Error).message);
      refresh();
    } finally {
      setBusy(false);
    }
  }

  async function remove(t: Transaction) {
    setError(null);
    setFlash(null);
    const title = transactionTitle(t);
    const reconciled = t.status === 'reconciled';
    const question = reconciled
      ? `Delete “${title}” of ${dayLabel(t.date)}? It is reconciled against a bank statement: deleting it makes that statement no longer match.`
      : `Delete “${title}” of ${dayLabel(t.date)}?`;
    if (!window.confirm(question)) return;
    setBusy(true);
    try {
      await api(`/agents/v1/finance/transactions/${t.id}${reconciled ? '?confirm_reconciled=true' : ''}`, { method: 'DELETE' });
      setFlash(`Deleted “${title}”.`);
      refresh();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="space-y-4" aria-busy={refreshing}>
      <div className="flex flex-wrap items-center gap-2">
        <button
          type="button"
          className="btn btn-sm btn-primary"
          aria-expanded={adding}
          onClick={() => {
            setEditing(null);
            setAdding((a) => !a);
          }}
        >
          {adding ? 'Hide the new transaction form' : 'Add a transaction'}
        </button>
      </div>
      {editing && (
        <TransactionForm
          key={editing.id}
          accounts={accounts}
          categories={categories}
          today={today}
          editing={editing}
          onCancel={() => setEditing(null)}
          onCreated={(t) => {
            setEditing(null);
            setError(null);
            setFlash(`Saved “${transactionTitle(t)}”.`);
            refresh();
          }}
        />
      )}
      {adding && !editing && (
        <TransactionForm
          accounts={accounts}
          categories={categories}
          today={today}
          defaultAccount={accountId}
          onCreated={(t) => {
            setError(null);
            setFlash(`Added “${transactionTitle(t)}”.`);
            refresh();
          }}
        />
      )}
      <Notices flash={flash} error={error} />
      {transactions.length === 0 ? (
        <p className="opacity-80">No transactions match.</p>
      ) : (
        <Scroll label="Transactions">
          <table className="table table-sm bg-base-100" aria-label="Transactions">
            <thead>
              <tr>
                <th scope="col">Date</th>
                <th scope="col">Payee</th>
                <th scope="col">Account</th>
                <th scope="col">Category</th>
                <th scope="col" className="text-right">
                  Amount
                </th>
                <th scope="col">Status</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {transactions.map((t) => (
                <Row key={t.id} t={t} categories={categories} accountId={accountId} busy={busy} onCategorise={(x, c) => void categorise(x, c)}
                  onEdit={(x) => {
                    setFlash(null);
                    setEditing(x);
                    window.scrollTo({ top: 0 });
                  }}
                  onDelete={(x) => void remove(x)} />
              ))}
            </tbody>
          </table>
        </Scroll>
      )}
    </div>
  );
}
