'use client';
// Accounts: open one (name, kind and subtype, currency, opening balance and its date, IBAN),
// close or reopen one, delete one never used, and reconcile one against a bank statement (the
// statement's date and closing balance; when they do not match, agents' message says by how
// much, under the balance). Mistakes show under their field, whether the form or agents' 422
// found them. After a change the page's data is fetched again (`router.refresh()`).

import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useId, useState, useTransition } from 'react';

import { Notices } from '@/components/alerts';
import { Modal } from '@/components/calendar/modal';
import { api, ApiError } from '@/lib/client/api';
import { accountsOf, apiFieldErrors, cleanAmount, formatAmount, isDecimal, SUBTYPES, subtypeLabel, type FinanceAccount, type Reconciled } from '@/lib/finance';

import { FieldError, Money, Scroll, wired } from './money';

const OPEN_FIELDS = ['name', 'kind', 'subtype', 'currency', 'opening_balance', 'opening_date', 'number'] as const;
type OpenField = (typeof OPEN_FIELDS)[number];
type OpenErrors = Partial<Record<OpenField | 'form', string[]>>;

export function OpenAccountForm({ currency, today, onOpened }: { currency: string; today: string; onOpened: (a: FinanceAccount) => void }) {
  const id = useId();
  const [kind, setKind] = useState<'asset' | 'liability'>('asset');
  const [errors, setErrors] = useState<OpenErrors>({});
  const [busy, setBusy] = useState(false);
  const fid = (f: OpenField | 'form') => `${id}-${f}-error`;

  async function submit(form: HTMLFormElement) {
    const data = new FormData(form);
    const get = (k: string) => String(data.get(k) ?? '').trim();
    const found: OpenErrors = {};
    if (!get('name')) found.name = ['Give the account a name.'];
    if (!/^[A-Za-z]{3}$/.test(get('currency'))) found.currency = ['Give the three-letter currency code, like EUR.'];
    const opening = cleanAmount(get('opening_balance'));
    if (opening && !isDecimal(opening)) found.opening_balance = ['Write the balance as digits, like 1200.00 (a debt is negative).'];
    setErrors(found);
    if (Object.keys(found).length) return;
    const body: Record<string, unknown> = { name: get('name'), kind, currency: get('currency').toUpperCase() };
    if (get('subtype')) body.subtype = get('subtype');
    if (opening) body.opening_balance = opening;
    if (get('opening_date')) body.opening_date = get('opening_date');
    if (get('number')) body.number = get('number');
    setBusy(true);
    try {
      const account = await api<FinanceAccount>('/agents/v1/finance/accounts', { body });
      form.reset();
      setKind('asset');
      onOpened(account);
    } catch (e) {
      setErrors(e instanceof ApiError && e.status === 422 ? apiFieldErrors(e.fields, OPEN_FIELDS, e.message) : { form: [(e as Error).message] });
    } finally {
      setBusy(false);
    }
  }

  return (
    <form
      className="card bg-base-100 shadow-sm"
      aria-labelledby={`${id}-title`}
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        void submit(e.currentTarget);
      }}
    >
      <div className="card-body gap-3">
        <h2 id={`${id}-title`} className="card-title text-base">
          Open an account
        </h2>
        <div className="grid gap-3 sm:grid-cols-2">
          <label className="flex flex-col gap-1">
            <span className="text-sm">Name</span>
            <input className="input w-full" name="name" maxLength={200} {...wired(fid('name'), errors.name)} />
            <FieldError id={fid('name')} messages={errors.name} />
          </label>
          <label className="flex flex-col gap-1">
            <span className="text-sm">Kind</span>
            <select className="select w-full" name="kind" value={kind} onChange={(e) => setKind(e.target.value as 'asset' | 'liability')} {...wired(fid('kind'), errors.kind)}>
              <option value="asset">Asset (bank account, cash, savings)</option>
              <option value="liability">Liability (credit card, loan)</option>
            </select>
            <FieldError id={fid('kind')} messages={errors.kind} />
          </label>
          <label className="flex flex-col gap-1">
            <span className="text-sm">Type</span>
            <select key={kind} className="select w-full" name="subtype" defaultValue={SUBTYPES[kind][0].value} {...wired(fid('subtype'), errors.subtype)}>
              {SUBTYPES[kind].map((s) => (
                <option key={s.value} value={s.value}>
                  {s.label}
                </option>
              ))}
            </select>
            <FieldError id={fid('subtype')} messages={errors.subtype} />
          </label>
          <label className="flex flex-col gap-1">
            <span className="text-sm">Currency</span>
            <input className="input w-full uppercase" name="currency" defaultValue={currency} maxLength={3} autoComplete="off" {...wired(fid('currency'), errors.currency)} />
            <FieldError id={fid('currency')} messages={errors.currency} />
          </label>
          <label className="flex flex-col gap-1">
            <span className="text-sm">Opening balance</span>
            <input className="input w-full" name="opening_balance" inputMode="decimal" placeholder={kind === 'liability' ? 'What you owe, negative: -250.00' : '0.00'} {...wired(fid('opening_balance'), errors.opening_balance)} />
            <FieldError id={fid('opening_balance')} messages={errors.opening_balance} />
          </label>
          <label className="flex flex-col gap-1">
            <span className="text-sm">Opening date</span>
            <input className="input w-full" type="date" name="opening_date" defaultValue={today} {...wired(fid('opening_date'), errors.opening_date)} />
            <FieldError id={fid('opening_date')} messages={errors.opening_date} />
          </label>
          <label className="flex flex-col gap-1 sm:col-span-2">
            <span className="text-sm">IBAN or account number (optional: imports find the account by it)</span>
            <input className="input w-full" name="number" maxLength={64} autoComplete="off" {...wired(fid('number'), errors.number)} />
            <FieldError id={fid('number')} messages={errors.number} />
          </label>
        </div>
        {errors.form && (
          <p role="alert" className="text-sm text-error">
            {errors.form.join(' ')}
          </p>
        )}
        <button className="btn btn-primary" type="submit" disabled={busy}>
          Open account
        </button>
      </div>
    </form>
  );
}

type ReconcileErrors = Partial<Record<'date' | 'balance' | 'form', string[]>>;

export function ReconcileDialog({ account, today, onClose, onDone }: { account: FinanceAccount; today: string; onClose: () => void; onDone: (r: Reconciled) => void }) {
  const id = useId();
  const [errors, setErrors] = useState<ReconcileErrors>({});
  const [busy, setBusy] = useState(false);
  const fid = (f: keyof ReconcileErrors) => `${id}-${f}-error`;
  const currency = account.currency ?? '';

  async function submit(form: HTMLFormElement) {
    const data = new FormData(form);
    const date = String(data.get('date') ?? '');
    const balance = cleanAmount(String(data.get('balance') ?? ''));
    const found: ReconcileErrors = {};
    if (!date) found.date = ['Give the statement’s date.'];
    if (!balance || !isDecimal(balance)) found.balance = ['Give the statement’s closing balance, like 1234.56.'];
    setErrors(found);
    if (Object.keys(found).length) return;
    setBusy(true);
    try {
      const done = await api<Reconciled>(`/agents/v1/finance/accounts/${account.id}/reconcile`, { body: { date, balance } });
      onDone(done);
    } catch (e) {
      if (e instanceof ApiError && e.status === 422) {
        const fields = { ...e.fields };
        // The API names the statement's balance `statement_balance` in its answer.
        if (fields.statement_balance) {
          fields.balance = [...(fields.balance ?? []), ...fields.statement_balance];
          delete fields.statement_balance;
        }
        setErrors(apiFieldErrors(fields, ['date', 'balance'] as const, e.message));
      } else {
        setErrors({ form: [(e as Error).message] });
      }
    } finally {
      setBusy(false);
    }
  }

  return (
    <Modal title={`Reconcile ${account.name}`} onClose={onClose}>
      <form
        className="flex flex-col gap-3"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void submit(e.currentTarget);
        }}
      >
        <p className="text-sm">
          Posey holds {account.balance !== null ? <Money amount={account.balance} currency={currency} /> : 'nothing'} today. Give your bank statement’s last day and its closing balance: when they match, every transaction up to then is marked reconciled and protected from silent changes.
        </p>
        <label className="flex flex-col gap-1">
          <span className="text-sm">Statement date</span>
          <input className="input w-full" type="date" name="date" defaultValue={today} {...wired(fid('date'), errors.date)} />
          <FieldError id={fid('date')} messages={errors.date} />
        </label>
        <label className="flex flex-col gap-1">
          <span className="text-sm">Statement balance ({currency})</span>
          <input className="input w-full" name="balance" inputMode="decimal" autoComplete="off" {...wired(fid('balance'), errors.balance)} />
          <FieldError id={fid('balance')} messages={errors.balance} />
        </label>
        {errors.form && (
          <p role="alert" className="text-sm text-error">
            {errors.form.join(' ')}
          </p>
        )}
        <div className="modal-action">
          <button type="button" className="btn btn-sm" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn btn-sm btn-primary" disabled={busy}>
            Reconcile
          </button>
        </div>
      </form>
    </Modal>
  );
}

function AccountRows({ title, accounts, busy, onAct }: { title: string; accounts: FinanceAccount[]; busy: boolean; onAct: (a: FinanceAccount, action: 'close' | 'reopen' | 'delete' | 'reconcile') => void }) {
  if (accounts.length === 0) return null;
  return (
    <section aria-label={title}>
      <h2 className="mb-2 font-semibold">{title}</h2>
      <Scroll label={title}>
        <table className="table table-sm bg-base-100">
          <thead>
            <tr>
              <th scope="col">Account</th>
              <th scope="col">Type</th>
              <th scope="col">Number</th>
              <th scope="col" className="text-right">
                Balance
              </th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {accounts.map((a) => (
              <tr key={a.id} data-testid="account" data-account={a.name}>
                <th scope="row" className="font-medium">
                  <Link className="link link-hover" href={`/finance/transactions?account_id=${a.id}`}>
                    {a.name}
                  </Link>{' '}
                  {a.closed_at && <span className="badge badge-sm badge-ghost">closed</span>}
                  {!a.on_budget && <span className="badge badge-sm badge-ghost ml-1">off budget</span>}
                </th>
                <td>{subtypeLabel(a.subtype)}</td>
                <td className="font-mono text-xs">{a.number ?? ''}</td>
                <td className="text-right" data-testid="balance">
                  {a.balance !== null && a.currency ? <Money amount={a.balance} currency={a.currency} /> : '—'}
                </td>
                <td>
                  <div className="flex flex-wrap justify-end gap-1">
                    {!a.closed_at && (
                      <button type="button" className="btn btn-xs" disabled={busy} onClick={() => onAct(a, 'reconcile')} aria-label={`Reconcile ${a.name}`}>
                        Reconcile
                      </button>
                    )}
                    <button type="button" className="btn btn-xs" disabled={busy} onClick={() => onAct(a, a.closed_at ? 'reopen' : 'close')} aria-label={`${a.closed_at ? 'Reopen' : 'Close'} ${a.name}`}>
                      {a.closed_at ? 'Reopen' : 'Close'}
                    </button>
                    <button type="button" className="btn btn-ghost btn-xs text-error" disabled={busy} onClick={() => onAct(a, 'delete')} aria-label={`Delete ${a.name}`}>
                      Delete
                    </button>
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </Scroll>
    </section>
  );
}

export function Accounts({ accounts, currency, today }: { accounts: FinanceAccount[]; currency: string; today: string }) {
  const router = useRouter();
  const [refreshing, startRefresh] = useTransition();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [flash, setFlash] = useState<string | null>(null);
  const [reconciling, setReconciling] = useState<FinanceAccount | null>(null);
  const refresh = () => startRefresh(() => router.refresh());

  async function act(a: FinanceAccount, action: 'close' | 'reopen' | 'delete' | 'reconcile') {
    setError(null);
    setFlash(null);
    if (action === 'reconcile') {
      setReconciling(a);
      return;
    }
    if (action === 'delete' && !window.confirm(`Delete “${a.name}”? Only an account no transaction uses can be deleted; close one that has them.`)) return;
    setBusy(true);
    try {
      if (action === 'delete') {
        await api(`/agents/v1/finance/accounts/${a.id}`, { method: 'DELETE' });
        setFlash(`Deleted “${a.name}”.`);
      } else {
        await api(`/agents/v1/finance/accounts/${a.id}`, { method: 'PATCH', body: { closed: action === 'close' } });
        setFlash(action === 'close' ? `Closed “${a.name}”: it takes no new transactions.` : `Reopened “${a.name}”.`);
      }
      refresh();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="space-y-6" aria-busy={refreshing}>
      <Notices flash={flash} error={error} />
      {accounts.length === 0 && <p className="opacity-80">No accounts yet: open one below.</p>}
      <AccountRows title="Assets" accounts={accountsOf(accounts, 'asset')} busy={busy} onAct={(a, x) => void act(a, x)} />
      <AccountRows title="Liabilities" accounts={accountsOf(accounts, 'liability')} busy={busy} onAct={(a, x) => void act(a, x)} />
      <OpenAccountForm
        currency={currency}
        today={today}
        onOpened={(a) => {
          setError(null);
          setFlash(`Opened “${a.name}” with ${formatAmount(a.balance ?? '0', a.currency ?? '')}.`);
          refresh();
        }}
      />
      {reconciling && (
        <ReconcileDialog
          account={reconciling}
          today={today}
          onClose={() => setReconciling(null)}
          onDone={(r) => {
            setReconciling(null);
            setFlash(`Reconciled “${reconciling.name}” at ${formatAmount(r.statement_balance, reconciling.currency ?? '')} on ${r.statement_date}: ${r.transactions} transaction${r.transactions === 1 ? '' : 's'} marked reconciled.`);
            refresh();
          }}
        />
      )}
    </div>
  );
}
