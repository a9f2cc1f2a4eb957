'use client';
// A new transaction: an expense or income against a category, a transfer between two of the
// person's accounts (with what the other account receives when its currency differs), or split
// lines (`currency` + `splits`, what they are off by shown while typing). The amount of the
// first three is typed without a sign; the kind decides the direction. Given a transaction, the
// form changes it instead: its splits, date, payee, description and tags (`PATCH`; a reconciled
// one only after the person confirms). Mistakes show under their field, whether the form or
// agents' 422 found them.

import { useId, useState } from 'react';

import { api, ApiError } from '@/lib/client/api';
import { apiFieldErrors, dayLabel, entryBody, splitLines, splitsBody, transactionTitle, type EntryErrors, type EntryForm, type EntryKind, type FinanceAccount, type SplitLine, type Transaction } from '@/lib/finance';

import { EntryFields } from './entry-fields';
import { FieldError, wired } from './money';
import { BLANK_LINE, SplitFields } from './split-fields';

const API_FIELDS = ['date', 'account_id', 'amount', 'category_id', 'transfer_account_id', 'transfer_amount', 'payee', 'description', 'tags'] as const;
const SPLIT_FIELDS = ['currency', 'splits', 'date', 'payee', 'description', 'tags'];

type Kind = EntryKind | 'split';

const KINDS: { value: Kind; label: string }[] = [
  { value: 'expense', label: 'Expense' },
  { value: 'income', label: 'Income' },
  { value: 'transfer', label: 'Transfer' },
  { value: 'split', label: 'Split' },
];

/** A 422's fields for split lines: agents' `splits[1].amount` and the form's own names kept, the rest for the form. */
function splitApiErrors(fields: Record<string, string[]>, message: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [field, problems] of Object.entries(fields)) {
    const key = SPLIT_FIELDS.includes(field) || /^splits\[\d+\]\.(account_id|amount|value)$/.test(field) ? field : 'form';
    out[key] = [...(out[key] ?? []), ...problems.map((p) => (key === 'form' ? `${field} ${p}` : p))];
  }
  if (Object.keys(out).length === 0) out.form = [message];
  return out;
}

export function TransactionForm({
  accounts,
  categories,
  today,
  defaultAccount,
  initialErrors = {},
  editing,
  onCreated,
  onCancel,
}: {
  accounts: FinanceAccount[];
  categories: FinanceAccount[];
  today: string;
  defaultAccount?: string;
  /** Mistakes to show at first (the tests render a 422's without a browser). */
  initialErrors?: EntryErrors | Record<string, string[]>;
  /** The transaction to change instead of making a new one. */
  editing?: Transaction;
  /** Called with the transaction made or changed. */
  onCreated: (t: Transaction) => void;
  onCancel?: () => void;
}) {
  const id = useId();
  const open = accounts.filter((a) => !a.closed_at || editing?.splits.some((s) => s.account_id === a.id));
  const firstAccount = defaultAccount && open.some((a) => a.id === defaultAccount) ? defaultAccount : (open[0]?.id ?? '');
  const blank = (): EntryForm => ({
    kind: 'expense',
    date: today,
    account_id: firstAccount,
    amount: '',
    category_id: '',
    transfer_account_id: '',
    transfer_amount: '',
    payee: '',
    description: '',
    tags: '',
  });
  const [values, setValues] = useState<EntryForm>(() =>
    editing ? { ...blank(), date: editing.date, payee: editing.payee ?? '', description: editing.description ?? '', tags: editing.tags.join(', ') } : blank(),
  );
  const [kind, setKind] = useState<Kind>(editing ? 'split' : 'expense');
  const [currency, setCurrency] = useState(editing?.currency ?? open.find((a) => a.id === firstAccount)?.currency ?? 'EUR');
  const [lines, setLines] = useState<SplitLine[]>(() => (editing ? splitLines(editing) : [{ ...BLANK_LINE }, { ...BLANK_LINE }]));
  const [errors, setErrors] = useState<Record<string, string[]>>(initialErrors);
  const [busy, setBusy] = useState(false);
  const set = <K extends keyof EntryForm>(key: K, value: EntryForm[K]) => setValues((v) => ({ ...v, [key]: value }));
  const fid = (f: string) => `${id}-${f.replace(/[^\w-]/g, '_')}-error`;
  const currencies = [...new Set([currency, ...open.map((a) => a.currency).filter((c): c is string => !!c)])].sort();

  /** Switching to split lines starts them from what the simple fields hold. */
  function choose(next: Kind) {
    if (next === 'split' && kind !== 'split' && !lines.some((l) => l.account_id || l.amount)) {
      const from = open.find((a) => a.id === values.account_id);
      const other = values.kind === 'transfer' ? values.transfer_account_id : values.category_id;
      const amount = values.amount.trim();
      const out = amount ? (values.kind === 'income' ? amount : `-${amount.replace(/^[-+]/, '')}`) : '';
      const back = out ? (out.startsWith('-') ? out.slice(1) : `-${out}`) : '';
      setLines([
        { ...BLANK_LINE, account_id: values.account_id, amount: out },
        { ...BLANK_LINE, account_id: other, amount: back },
      ]);
      if (from?.currency) setCurrency(from.currency);
    }
    setKind(next);
    if (next !== 'split') set('kind', next);
  }

  async function submit() {
    const built =
      kind === 'split'
        ? splitsBody({ currency, lines, date: values.date, payee: values.payee, description: values.description, tags: values.tags }, accounts, { change: !!editing })
        : entryBody(values, accounts);
    if ('errors' in built) {
      setErrors(built.errors);
      return;
    }
    setErrors({});
    setBusy(true);
    try {
      let made: Transaction;
      if (editing) {
        const path = `/agents/v1/finance/transactions/${editing.id}`;
        try {
          made = await api<Transaction>(path, { method: 'PATCH', body: built.body });
        } catch (e) {
          if (!(e instanceof ApiError && e.status === 409 && editing.status === 'reconciled')) throw e;
          const question = `Change “${transactionTitle(editing)}” of ${dayLabel(editing.date)}? It is reconciled against a bank statement: changing it may make that statement no longer match.`;
          if (!window.confirm(question)) return;
          made = await api<Transaction>(path, { method: 'PATCH', body: { ...built.body, confirm_reconciled: true } });
        }
      } else {
        made = await api<Transaction>('/agents/v1/finance/transactions', { body: built.body });
        setValues({ ...blank(), kind: values.kind, account_id: values.account_id, date: values.date });
        setLines([{ ...BLANK_LINE }, { ...BLANK_LINE }]);
      }
      onCreated(made);
    } catch (e) {
      if (e instanceof ApiError && e.status === 422) setErrors(kind === 'split' ? splitApiErrors(e.fields, e.message) : apiFieldErrors(e.fields, API_FIELDS, e.message));
      else setErrors({ form: [(e as Error).message] });
    } finally {
      setBusy(false);
    }
  }

  if (open.length === 0) return <p className="opacity-80">Open an account first (Accounts).</p>;
  const title = editing ? `Change “${transactionTitle(editing)}”` : 'Add a transaction';

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
          {title}
        </h2>
        {!editing && (
          <div role="radiogroup" aria-label="Kind" className="join">
            {KINDS.map((k) => (
              <input key={k.value} className="join-item btn btn-sm" type="radio" name={`${id}-kind`} aria-label={k.label} checked={kind === k.value} onChange={() => choose(k.value)} />
            ))}
          </div>
        )}
        {kind === 'split' && (
          <SplitFields currency={currency} lines={lines} onCurrency={setCurrency} onLines={setLines} currencies={currencies} errors={errors} fid={fid} accounts={open} categories={categories} />
        )}
        <div className="grid gap-3 sm:grid-cols-2 lg:grid-cols-3">
          {kind !== 'split' && <EntryFields values={values} set={set} errors={errors} fid={fid} open={open} categories={categories} />}
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
        <div className="flex flex-wrap gap-2">
          <button className="btn btn-primary" type="submit" disabled={busy}>
            {editing ? 'Save changes' : 'Add transaction'}
          </button>
          {onCancel && (
            <button className="btn" type="button" onClick={onCancel}>
              Cancel
            </button>
          )}
        </div>
      </div>
    </form>
  );
}
