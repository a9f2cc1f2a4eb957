'use client';
// A transaction's split lines: each an account or category, its amount (signed, debit
// positive: money into an account or spent in a category is positive), what it is worth in the
// transaction's currency when its account is in another, and a memo; lines are added and taken
// away, and what they are off by is said as they are typed, before anything is saved.

import { categoryOptions, formatAmount, isZero, splitsTotal, type FinanceAccount, type SplitErrors, type SplitLine } from '@/lib/finance';

import { FieldError, wired } from './money';

export const BLANK_LINE: SplitLine = { account_id: '', amount: '', value: '', memo: '' };

export function SplitFields({
  currency,
  lines,
  onCurrency,
  onLines,
  currencies,
  errors,
  fid,
  accounts,
  categories,
}: {
  currency: string;
  lines: SplitLine[];
  onCurrency: (currency: string) => void;
  onLines: (lines: SplitLine[]) => void;
  currencies: string[];
  errors: SplitErrors;
  fid: (field: string) => string;
  /** The open accounts (and a closed one the transaction already uses). */
  accounts: FinanceAccount[];
  categories: FinanceAccount[];
}) {
  const byId = new Map(accounts.map((a) => [a.id, a]));
  const total = splitsTotal(lines, currency, accounts);
  const typed = lines.some((l) => l.amount.trim());
  const change = (i: number, line: Partial<SplitLine>) => onLines(lines.map((l, at) => (at === i ? { ...l, ...line } : l)));
  const field = (i: number, name: string) => `splits[${i}].${name}`;
  const cats = categoryOptions(categories).filter((o) => !categories.find((c) => c.id === o.id)?.role || lines.some((l) => l.account_id === o.id));
  return (
    <fieldset className="flex flex-col gap-3">
      <legend className="mb-2 text-sm font-semibold">Split lines</legend>
      <p className="text-sm opacity-80">
        Money into an account or spent in a category is positive, money out of an account negative: paying 100.00 from Checking for 60.00 of groceries and 40.00 of household is -100.00, 60.00 and 40.00.
      </p>
      <label className="flex max-w-40 flex-col gap-1">
        <span className="text-sm">Currency</span>
        <select className="select w-full" value={currency} onChange={(e) => onCurrency(e.target.value)} {...wired(fid('currency'), errors.currency)}>
          {currencies.map((c) => (
            <option key={c} value={c}>
              {c}
            </option>
          ))}
        </select>
        <FieldError id={fid('currency')} messages={errors.currency} />
      </label>
      <ol className="flex flex-col gap-2" aria-label="Split lines">
        {lines.map((line, i) => {
          const own = byId.get(line.account_id)?.currency;
          const other = own && own !== currency;
          const n = i + 1;
          return (
            <li key={i} className="grid items-start gap-2 rounded-box border border-base-300 p-2 sm:grid-cols-[2fr_1fr_1fr_auto]" data-testid="split-line">
              <label className="flex flex-col gap-1">
                <span className="text-xs">Line {n}: account or category</span>
                <select className="select select-sm w-full" value={line.account_id} onChange={(e) => change(i, { account_id: e.target.value })} {...wired(fid(field(i, 'account_id')), errors[field(i, 'account_id')])}>
                  <option value="">Choose…</option>
                  <optgroup label="Accounts">
                    {accounts
                      .filter((a) => a.kind === 'asset' || a.kind === 'liability')
                      .map((a) => (
                        <option key={a.id} value={a.id}>
                          {a.name} ({a.currency})
                        </option>
                      ))}
                  </optgroup>
                  <optgroup label="Categories">
                    {cats.map((o) => (
                      <option key={o.id} value={o.id}>
                        {o.label}
                      </option>
                    ))}
                  </optgroup>
                </select>
                <FieldError id={fid(field(i, 'account_id'))} messages={errors[field(i, 'account_id')]} />
              </label>
              <label className="flex flex-col gap-1">
                <span className="text-xs">
                  Line {n}: amount{own ? ` (${own})` : ''}
                </span>
                <input className="input input-sm w-full" inputMode="decimal" autoComplete="off" placeholder="-12.50" value={line.amount} onChange={(e) => change(i, { amount: e.target.value })} {...wired(fid(field(i, 'amount')), errors[field(i, 'amount')])} />
                <FieldError id={fid(field(i, 'amount'))} messages={errors[field(i, 'amount')]} />
              </label>
              {other ? (
                <label className="flex flex-col gap-1">
                  <span className="text-xs">
                    Line {n}: worth in {currency}
                  </span>
                  <input className="input input-sm w-full" inputMode="decimal" autoComplete="off" value={line.value} onChange={(e) => change(i, { value: e.target.value })} {...wired(fid(field(i, 'value')), errors[field(i, 'value')])} />
                  <FieldError id={fid(field(i, 'value'))} messages={errors[field(i, 'value')]} />
                </label>
              ) : (
                <label className="flex flex-col gap-1">
                  <span className="text-xs">Line {n}: memo</span>
                  <input className="input input-sm w-full" maxLength={500} value={line.memo} onChange={(e) => change(i, { memo: e.target.value })} />
                </label>
              )}
              <button type="button" className="btn btn-ghost btn-sm mt-5 text-error" disabled={lines.length <= 2} onClick={() => onLines(lines.filter((_, at) => at !== i))} aria-label={`Remove line ${n}`}>
                Remove
              </button>
              {other && (
                <label className="flex flex-col gap-1 sm:col-span-4">
                  <span className="text-xs">Line {n}: memo</span>
                  <input className="input input-sm w-full" maxLength={500} value={line.memo} onChange={(e) => change(i, { memo: e.target.value })} />
                </label>
              )}
            </li>
          );
        })}
      </ol>
      <div className="flex flex-wrap items-center gap-3">
        <button type="button" className="btn btn-sm" disabled={lines.length >= 100} onClick={() => onLines([...lines, { ...BLANK_LINE }])}>
          Add a line
        </button>
        <p role="status" className="text-sm" data-testid="split-remainder">
          {!typed ? 'The lines must add up to zero.' : isZero(total) ? 'The lines balance.' : `Off by ${formatAmount(total, currency, { signed: true })}: the lines must add up to zero.`}
        </p>
      </div>
      <FieldError id={fid('splits')} messages={errors.splits} />
    </fieldset>
  );
}
