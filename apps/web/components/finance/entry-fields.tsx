'use client';
// The fields of what a transaction moves, shared by the new transaction form and the recurring
// transaction form: the account, the amount typed without a sign, and the category (expense,
// income) or the other account (transfer, with what it receives in its own currency).

import { categoryOptions, type EntryErrors, type EntryForm, type FinanceAccount } from '@/lib/finance';

import { FieldError, wired } from './money';

type Amounts = Pick<EntryForm, 'kind' | 'account_id' | 'amount' | 'category_id' | 'transfer_account_id' | 'transfer_amount'>;

export function EntryFields({
  values,
  set,
  errors,
  fid,
  open,
  categories,
}: {
  values: Amounts;
  set: (key: Exclude<keyof Amounts, 'kind'>, value: string) => void;
  errors: EntryErrors;
  fid: (field: keyof EntryErrors) => string;
  /** The open accounts. */
  open: FinanceAccount[];
  categories: FinanceAccount[];
}) {
  const from = open.find((a) => a.id === values.account_id);
  const to = open.find((a) => a.id === values.transfer_account_id);
  const otherCurrency = values.kind === 'transfer' && from && to && from.currency !== to.currency;
  return (
    <>
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
    </>
  );
}
