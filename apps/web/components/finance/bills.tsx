'use client';
// Bills: what a person expects to pay again and again (rent, subscriptions), so the overview can
// say what is due and whether a payment paid it. Each is a name, the amount (typed without a
// sign: a bill is money out) and how far a payment may be off, the text the payee contains, how
// often from a first date, and the account it is paid from (or any in its currency). Listed
// with their dues of the last 30 and next 60 days (paid, upcoming, missed); made, changed and
// deleted in place.

import { useRouter } from 'next/navigation';
import { useId, useState, useTransition } from 'react';

import { Notices } from '@/components/alerts';
import { api, ApiError } from '@/lib/client/api';
import { apiFieldErrors, BILL_FIELDS, billBody, billForm, CADENCE_UNITS, cadenceLabel, dayLabel, formatAmount, isZero, type Bill, type BillErrors, type BillForm, type CadenceUnit, type FinanceAccount, type UpcomingBills } from '@/lib/finance';

import { FieldError, Money, wired } from './money';

type Dues = UpcomingBills['bills'][number]['dues'];

function BillItem({ bill, dues, account, busy, onEdit, onDelete }: { bill: Bill; dues: Dues; account?: FinanceAccount; busy: boolean; onEdit: () => void; onDelete: () => void }) {
  return (
    <li className="card card-sm bg-base-100 shadow-sm" data-testid="bill" data-name={bill.name}>
      <div className="card-body gap-1">
        <div className="flex flex-wrap items-center gap-2">
          <span className="flex-1 font-medium">{bill.name}</span>
          <Money amount={bill.amount} currency={bill.currency} />
        </div>
        <p className="text-sm" data-testid="bill-words">
          {cadenceLabel(bill.cadence)} from {dayLabel(bill.starts)}
          {bill.ends ? ` until ${dayLabel(bill.ends)}` : ''}, paid from {account ? account.name : `any ${bill.currency} account`}
          {bill.payee_contains ? `, payee containing “${bill.payee_contains}”` : ''}
          {isZero(bill.tolerance) ? '' : `, give or take ${formatAmount(bill.tolerance, bill.currency)}`}
        </p>
        {dues.length > 0 && (
          <ul className="flex flex-wrap gap-1" aria-label={`Dues of ${bill.name}`}>
            {dues.map((d) => (
              <li key={d.date} className={`badge badge-sm ${d.status === 'paid' ? 'badge-success' : d.status === 'missed' ? 'badge-error' : 'badge-ghost'}`}>
                {dayLabel(d.date)} {d.status}
              </li>
            ))}
          </ul>
        )}
        <div className="flex flex-wrap gap-1">
          <button type="button" className="btn btn-xs" disabled={busy} onClick={onEdit} aria-label={`Edit ${bill.name}`}>
            Edit
          </button>
          <button type="button" className="btn btn-ghost btn-xs text-error" disabled={busy} onClick={onDelete} aria-label={`Delete ${bill.name}`}>
            Delete
          </button>
        </div>
      </div>
    </li>
  );
}

function BillEditor({ accounts, currency, today, editing, onSaved, onCancel }: { accounts: FinanceAccount[]; currency: string; today: string; editing: Bill | null; onSaved: (b: Bill, made: boolean) => void; onCancel: () => void }) {
  const id = useId();
  const open = accounts.filter((a) => (!a.closed_at || a.id === editing?.account_id) && (a.kind === 'asset' || a.kind === 'liability'));
  const blank = (): BillForm => ({ name: '', payee_contains: '', amount: '', tolerance: '', unit: 'months', every: '1', starts: today, ends: '', account_id: open[0]?.id ?? '', currency });
  const [values, setValues] = useState<BillForm>(() => (editing ? billForm(editing) : blank()));
  const [errors, setErrors] = useState<BillErrors>({});
  const [busy, setBusy] = useState(false);
  const set = <K extends keyof BillForm>(key: K, value: BillForm[K]) => setValues((v) => ({ ...v, [key]: value }));
  const fid = (f: string) => `${id}-${f}-error`;
  const account = open.find((a) => a.id === values.account_id);

  async function submit() {
    const built = billBody(values, { change: !!editing });
    if ('errors' in built) {
      setErrors(built.errors);
      return;
    }
    setErrors({});
    setBusy(true);
    try {
      const saved = editing ? await api<Bill>(`/agents/v1/finance/bills/${editing.id}`, { method: 'PATCH', body: built.body }) : await api<Bill>('/agents/v1/finance/bills', { body: built.body });
      if (!editing) setValues(blank());
      onSaved(saved, !editing);
    } catch (e) {
      setErrors(e instanceof ApiError && e.status === 422 ? apiFieldErrors(e.fields, BILL_FIELDS, e.message) : { form: [(e as Error).message] });
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
        void submit();
      }}
    >
      <div className="card-body gap-3">
        <h2 id={`${id}-title`} className="card-title text-base">
          {editing ? `Change the bill “${editing.name}”` : 'New bill'}
        </h2>
        <div className="grid gap-3 sm:grid-cols-2 lg:grid-cols-3">
          <label className="flex flex-col gap-1">
            <span className="text-sm">Name</span>
            <input className="input w-full" maxLength={200} value={values.name} onChange={(e) => set('name', e.target.value)} {...wired(fid('name'), errors.name)} />
            <FieldError id={fid('name')} messages={errors.name} />
          </label>
          <label className="flex flex-col gap-1">
            <span className="text-sm">Paid from</span>
            <select className="select w-full" value={values.account_id} onChange={(e) => set('account_id', e.target.value)} {...wired(fid('account_id'), errors.account_id)}>
              {open.map((a) => (
                <option key={a.id} value={a.id}>
                  {a.name} ({a.currency})
                </option>
              ))}
              <option value="">Any account in the currency below</option>
            </select>
            <FieldError id={fid('account_id')} messages={errors.account_id} />
          </label>
          {!values.account_id && (
            <label className="flex flex-col gap-1">
              <span className="text-sm">Currency</span>
              <input className="input w-full uppercase" maxLength={3} autoComplete="off" value={values.currency} onChange={(e) => set('currency', e.target.value)} {...wired(fid('currency'), errors.currency)} />
              <FieldError id={fid('currency')} messages={errors.currency} />
            </label>
          )}
          <label className="flex flex-col gap-1">
            <span className="text-sm">Amount{` (${account?.currency ?? (values.currency.toUpperCase() || '…')})`}</span>
            <input className="input w-full" inputMode="decimal" autoComplete="off" placeholder="49.99" value={values.amount} onChange={(e) => set('amount', e.target.value)} {...wired(fid('amount'), errors.amount)} />
            <FieldError id={fid('amount')} messages={errors.amount} />
          </label>
          <label className="flex flex-col gap-1">
            <span className="text-sm">A payment may be off by (optional)</span>
            <input className="input w-full" inputMode="decimal" autoComplete="off" placeholder="0.00" value={values.tolerance} onChange={(e) => set('tolerance', e.target.value)} {...wired(fid('tolerance'), errors.tolerance)} />
            <FieldError id={fid('tolerance')} messages={errors.tolerance} />
          </label>
          <label className="flex flex-col gap-1">
            <span className="text-sm">The payee contains (optional)</span>
            <input className="input w-full" maxLength={200} value={values.payee_contains} onChange={(e) => set('payee_contains', e.target.value)} {...wired(fid('payee_contains'), errors.payee_contains)} />
            <FieldError id={fid('payee_contains')} messages={errors.payee_contains} />
          </label>
          <fieldset className="flex flex-col gap-1">
            <legend className="mb-1 text-sm">Due every</legend>
            <div className="join">
              <input className="input join-item w-20" inputMode="numeric" aria-label="How many" value={values.every} onChange={(e) => set('every', e.target.value)} {...wired(fid('cadence'), errors.cadence)} />
              <select className="select join-item w-32" aria-label="Unit" value={values.unit} onChange={(e) => set('unit', e.target.value as CadenceUnit)}>
                {CADENCE_UNITS.map((u) => (
                  <option key={u.value} value={u.value}>
                    {u.many}
                  </option>
                ))}
              </select>
            </div>
            <FieldError id={fid('cadence')} messages={errors.cadence} />
          </fieldset>
          <label className="flex flex-col gap-1">
            <span className="text-sm">First due date</span>
            <input className="input w-full" type="date" value={values.starts} onChange={(e) => set('starts', e.target.value)} {...wired(fid('starts'), errors.starts)} />
            <FieldError id={fid('starts')} messages={errors.starts} />
          </label>
          <label className="flex flex-col gap-1">
            <span className="text-sm">Last due date (optional)</span>
            <input className="input w-full" type="date" value={values.ends} onChange={(e) => set('ends', e.target.value)} {...wired(fid('ends'), errors.ends)} />
            <FieldError id={fid('ends')} messages={errors.ends} />
          </label>
        </div>
        {errors.form && (
          <p role="alert" className="text-sm text-error">
            {errors.form.join(' ')}
          </p>
        )}
        <div className="flex flex-wrap gap-2">
          <button className="btn btn-primary" type="submit" disabled={busy}>
            {editing ? 'Save changes' : 'Save bill'}
          </button>
          {editing && (
            <button className="btn" type="button" onClick={onCancel}>
              Cancel
            </button>
          )}
        </div>
      </div>
    </form>
  );
}

export function Bills({ bills, dues, accounts, currency, today }: { bills: Bill[]; dues: UpcomingBills | null; accounts: FinanceAccount[]; currency: string; today: string }) {
  const id = useId();
  const router = useRouter();
  const [refreshing, startRefresh] = useTransition();
  const [busy, setBusy] = useState(false);
  const [flash, setFlash] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [editing, setEditing] = useState<Bill | null>(null);
  const refresh = () => startRefresh(() => router.refresh());
  const duesOf = new Map((dues?.bills ?? []).map((b) => [b.bill_id, b.dues]));

  async function remove(bill: Bill) {
    setFlash(null);
    setError(null);
    if (!window.confirm(`Delete the bill “${bill.name}”? The payments stay.`)) return;
    setBusy(true);
    try {
      await api(`/agents/v1/finance/bills/${bill.id}`, { method: 'DELETE' });
      if (editing?.id === bill.id) setEditing(null);
      setFlash(`Deleted the bill “${bill.name}”.`);
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
      <section aria-labelledby={`${id}-list`}>
        <h2 id={`${id}-list`} className="mb-1 font-semibold">
          Bills
        </h2>
        <p className="mb-2 text-sm opacity-80">A payment of about the amount, from the account, on or near a due date pays it. The overview lists what is due in the next 30 days.</p>
        {bills.length === 0 ? (
          <p className="text-sm opacity-80">No bills yet.</p>
        ) : (
          <ul className="space-y-2" aria-label="Bills">
            {bills.map((b) => (
              <BillItem
                key={b.id}
                bill={b}
                dues={duesOf.get(b.id) ?? []}
                account={accounts.find((a) => a.id === b.account_id)}
                busy={busy}
                onEdit={() => {
                  setFlash(null);
                  setEditing(b);
                }}
                onDelete={() => void remove(b)}
              />
            ))}
          </ul>
        )}
      </section>
      <BillEditor
        key={editing?.id ?? 'new'}
        accounts={accounts}
        currency={currency}
        today={today}
        editing={editing}
        onCancel={() => setEditing(null)}
        onSaved={(b, made) => {
          setEditing(null);
          setError(null);
          setFlash(made ? `Saved the bill “${b.name}”.` : `Saved the changes to “${b.name}”.`);
          refresh();
        }}
      />
    </div>
  );
}
