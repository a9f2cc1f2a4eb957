'use client';
// A new transaction: an expense or income against a category, or a transfer between two of the
// person's accounts (with what the other account receives when its currency differs). The
// amount is typed without a sign; the kind decides the direction. Mistakes show under their
// field, whether the form or agents' 422 found them.

import { useId, useState } from 'react';

import { api, ApiError } from '@/lib/client/api';
import { apiFieldErrors, categoryOptions, entryBody, type EntryErrors, type EntryForm, type EntryKind, type FinanceAccount, type Transaction } from '@/lib/finance';

import { FieldError, wired } from './money';

const API_FIELDS = ['date', 'account_id', 'amount', 'category_id', 'transfer_account_id', 'transfer_amount', 'payee', 'description', 'tags'] as const;

const KINDS: { value: EntryKind; label: string }[] = [
  { value: 'expense', label: 'Expense' },
  { value: 'income', label: 'Income' },
  { value: 'transfer', label: 'Transfer' },
];

export function TransactionForm({
  accounts,
  categories,
  today,
  defaultAccount,
  initialErrors = {},
  onCreated,
}: {
  accounts: FinanceAccount[];
  categories: FinanceAccount[];
  today: string;
  defaultAccount?: string;
  /** Mistakes to show at first (the tests render a 422's without a browser). */
  initialErrors?: EntryErrors;
  onCreated: (t: Transaction) => void;
}) {
  const id = useId();
  const open = accounts.filter((a) => !a.closed_at);
  const blank = (): EntryForm => ({
    kind: 'expense',
    date: today,
    account_id: defaultAccount && open.some((a) => a.id === defaultAccount) ? defaultAccount : (open[0]?.id ?? ''),
    amount: '',
    category_id: '',
    transfer_account_id: '',
    transfer_amount: '',
    payee: '',
    description: '',
    tags: '',
  });
  const [values, setValues] = useState<EntryForm>(blank);
  const [errors, setErrors] = useState<EntryErrors>(initialErrors);
  const [busy, setBusy] = useState(false);
  const set = <K extends keyof EntryForm>(key: K, value: EntryForm[K]) => setValues((v) => ({ ...v, [key]: value }));
  const fid = (f: keyof EntryErrors) => `${id}-${f}-error`;
  const from = open.find((a) => a.id === values.account_id);
  const to = open.find((a) => a.id === values.transfer_account_id);
  const otherCurrency = values.kind === 'transfer' && from && to && from.currency !== to.currency;

  async function submit() {
    const built = entryBody(values, accounts);
    if ('errors' in built) {
      setErrors(built.errors);
      return;
    }
    setErrors({});
    setBusy(true);
    try {
      const made = await api<Transaction>('/agents/v1/finance/transactions', { body: built.body });
      setValues({ ...blank(), kind: values.kind, account_id: values.account_id, date: values.date });
      onCreated(made);
    } catch (e) {
      setErrors(e instanceof ApiError && e.status === 422 ? apiFieldErrors(e.fields, API_FIELDS, e.message) : { form: [(e as Error).message] });
    } finally {
      setBusy(false);
    }
  }

  if (open.length === 0) return <p className="opacity-80">Open an account first (Accounts).</p>;

  return (
    <form
      className="card bg-base-100 shadow-sm"
      aria-labelledby={`${id}-title`}
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <div className="card-body gap-3">
        <h2 id={`${id}-title`} className="card-title text-base">
          Add a transaction
        </h2>
        <div role="radiogroup" aria-label="Kind" className="join">
          {KINDS.map((k) => (
            <input
              key={k.value}
              className="join-item btn btn-sm"
              type="radio"
              name="entry-kind"
              aria-label={k.label}
              checked={values.kind === k.value}
              onChange={() => set('kind', k.value)}
            />
          ))}
        </div>
        <div className="grid gap-3 sm:grid-cols-2 lg:grid-cols-3">
          <label className="flex flex-col gap-1">
            <span className="text-sm">{values.kind === 'transfer' ? 'From account' : 'Account'}</span>
            <select className="select w-full" value={values.account_id} onChange={(e) => set('account_id', e.target.value)} {...wired(fid('account_id'), errors.account_id)}>
              {open.map((a) => (
                <option key={a.id} value={a.id}>
                  {a.name} ({a.currency})
                </option>
              ))}
            </select>
            <FieldError id={fid('account_id')} messages={errors.account_id} />
          </label>
          <label className="flex flex-col gap-1">
            <span className="text-sm">Amount{from?.currency ? ` (${from.currency})` : ''}</span>
            <input className="input w-full" inputMode="decimal" autoComplete="off" placeholder="12.50" value={values.amount} onChange={(e) => set('amount', e.target.value)} {...wired(fid('amount'), errors.amount)} />
            <FieldError id={fid('amount')} messages={errors.amount} />
          </label>
          {values.kind === 'transfer' ? (
            <label className="flex flex-col gap-1">
              <span className="text-sm">To account</span>
              <select className="select w-full" value={values.transfer_account_id} onChange={(e) => set('transfer_account_id', e.target.value)} {...wired(fid('transfer_account_id'), errors.transfer_account_id)}>
                <option value="">Choose…</option>
                {open
                  .filter((a) => a.id !== values.account_id)
                  .map((a) => (
                    <option key={a.id} value={a.id}>
                      {a.name} ({a.currency})
                    </option>
                  ))}
              </select>
              <FieldError id={fid('transfer_account_id')} messages={errors.transfer_account_id} />
            </label>
          ) : (
            <label className="flex flex-col gap-1">
              <span className="text-sm">Category</span>
              <select className="select w-full" value={values.category_id} onChange={(e) => set('category_id', e.target.value)} {...wired(fid('category_id'), errors.category_id)}>
                <option value="">Uncategorised</option>
                {categoryOptions(categories, values.kind === 'income' ? 'income' : 'expense')
                  .filter((o) => !categories.find((c) => c.id === o.id)?.role)
                  .map((o) => (
                    <option key={o.id} value={o.id}>
                      {o.label}
                    </option>
                  ))}
              </select>
              <FieldError id={fid('category_id')} messages={errors.category_id} />
            </label>
          )}
          {otherCurrency && (
            <label className="flex flex-col gap-1">
              <span className="text-sm">
                {to?.name} receives ({to?.currency})
              </span>
              <input className="input w-full" inputMode="decimal" autoComplete="off" value={values.transfer_amount} onChange={(e) => set('transfer_amount', e.target.value)} {...wired(fid('transfer_amount'), errors.transfer_amount)} />
              <FieldError id={fid('transfer_amount')} messages={errors.transfer_amount} />
            </label>
          )}
          <label className="flex flex-col gap-1">
            <span className="text-sm">Date</span>
            <input className="input w-full" type="date" value={values.date} onChange={(e) => set('date', e.target.value)} {...wired(fid('date'), errors.date)} />
            <FieldError id={fid('date')} messages={errors.date} />
          </label>
          <label className="flex flex-col gap-1">
            <span className="text-sm">Payee</span>
            <input className="input w-full" maxLength={200} value={values.payee} onChange={(e) => set('payee', e.target.value)} {...wired(fid('payee'), errors.payee)} />
            <FieldError id={fid('payee')} messages={errors.payee} />
          </label>
          <label className="flex flex-col gap-1">
            <span className="text-sm">Description</span>
            <input className="input w-full" maxLength={2000} value={values.description} onChange={(e) => set('description', e.target.value)} {...wired(fid('description'), errors.description)} />
            <FieldError id={fid('description')} messages={errors.description} />
          </label>
          <label className="flex flex-col gap-1">
            <span className="text-sm">Tags (comma-separated)</span>
            <input className="input w-full" value={values.tags} onChange={(e) => set('tags', e.target.value)} {...wired(fid('tags'), errors.tags)} />
            <FieldError id={fid('tags')} messages={errors.tags} />
          </label>
        </div>
        {errors.form && (
          <p role="alert" className="text-sm text-error">
            {errors.form.join(' ')}
          </p>
        )}
        <button className="btn btn-primary" type="submit" disabled={busy}>
          Add transaction
        </button>
      </div>
    </form>
  );
}
