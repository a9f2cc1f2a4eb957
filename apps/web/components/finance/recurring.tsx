'use client';
// Recurring transactions: what agents posts by itself on each due date (in the person's zone, as
// an uncleared transaction dated that day): rent, salary, a standing transfer to savings. Listed
// with their next dates; made and changed in one form (what it moves, as a new transaction's
// fields, and when: every so many days, weeks, months or years from a first date, optionally
// until a last); paused and resumed, the next date skipped, deleted (what it posted stays).

import { useRouter } from 'next/navigation';
import { useId, useState, useTransition } from 'react';

import { Notices } from '@/components/alerts';
import { api, ApiError } from '@/lib/client/api';
import {
  apiFieldErrors,
  CADENCE_UNITS,
  cadenceLabel,
  dayLabel,
  recurringBody,
  recurringForm,
  type CadenceUnit,
  type EntryKind,
  type FinanceAccount,
  type RecurringErrors,
  type RecurringForm,
  type RecurringView,
} from '@/lib/finance';

import { EntryFields } from './entry-fields';
import { FieldError, Money, wired } from './money';

const API_FIELDS = ['name', 'cadence', 'starts', 'ends', 'notes', 'account_id', 'amount', 'category_id', 'transfer_account_id', 'transfer_amount', 'payee', 'description', 'tags'] as const;

const KINDS: { value: EntryKind; label: string }[] = [
  { value: 'expense', label: 'Expense' },
  { value: 'income', label: 'Income' },
  { value: 'transfer', label: 'Transfer' },
];

/** What a recurring transaction moves, in words: `from Checking, in Rent`. */
export function recurringWhat(r: RecurringView, names: Map<string, string>): string {
  if (r.splits) return `split: ${r.splits.map((s) => names.get(s.account_id) ?? 'a deleted account').join(', ')}`;
  const account = names.get(r.account_id ?? '') ?? 'a deleted account';
  if (r.transfer_account_id) return `from ${account} to ${names.get(r.transfer_account_id) ?? 'a deleted account'}`;
  const category = r.category_id ? names.get(r.category_id) : null;
  return `${r.amount?.startsWith('-') ? 'from' : 'into'} ${account}${category ? `, ${category}` : ', uncategorised'}`;
}

function Item({ r, names, busy, onEdit, onAct }: { r: RecurringView; names: Map<string, string>; busy: boolean; onEdit: () => void; onAct: (action: 'pause' | 'resume' | 'skip' | 'delete') => void }) {
  return (
    <li className="card card-sm bg-base-100 shadow-sm" data-testid="recurring" data-name={r.name} data-paused={r.paused}>
      <div className="card-body gap-1">
        <div className="flex flex-wrap items-center gap-2">
          <span className="flex-1 font-medium">{r.name}</span>
          {r.paused && <span className="badge badge-sm badge-ghost">paused</span>}
          {r.amount !== null && <Money amount={r.amount} currency={r.currency} tone />}
        </div>
        <p className="text-sm" data-testid="recurring-words">
          {cadenceLabel(r.cadence)} from {dayLabel(r.starts)}
          {r.ends ? ` until ${dayLabel(r.ends)}` : ''}, {recurringWhat(r, names)}
          {r.payee ? ` (payee “${r.payee}”)` : ''}
        </p>
        <p className="text-sm" data-testid="recurring-next">
          {r.next_date ? `Next: ${dayLabel(r.next_date)}` : 'No dates left.'}
          {r.upcoming.length > 1 ? `; then ${r.upcoming.slice(1).map(dayLabel).join(', ')}` : ''}
        </p>
        {r.posted > 0 && (
          <p className="text-xs opacity-80">
            Posted {r.posted} time{r.posted === 1 ? '' : 's'}
            {r.last_posted ? `, last on ${dayLabel(r.last_posted)}` : ''}.
          </p>
        )}
        {r.last_error && (
          <p className="text-sm text-error" data-testid="recurring-error">
            Paused because: {r.last_error}
          </p>
        )}
        <div className="flex flex-wrap gap-1">
          <button type="button" className="btn btn-xs" disabled={busy} onClick={onEdit} aria-label={`Edit ${r.name}`}>
            Edit
          </button>
          <button type="button" className="btn btn-xs" disabled={busy} onClick={() => onAct(r.paused ? 'resume' : 'pause')} aria-label={`${r.paused ? 'Resume' : 'Pause'} ${r.name}`}>
            {r.paused ? 'Resume' : 'Pause'}
          </button>
          <button type="button" className="btn btn-xs" disabled={busy || !r.next_date} onClick={() => onAct('skip')} aria-label={`Skip next date of ${r.name}`}>
            Skip next date
          </button>
          <button type="button" className="btn btn-ghost btn-xs text-error" disabled={busy} onClick={() => onAct('delete')} aria-label={`Delete ${r.name}`}>
            Delete
          </button>
        </div>
      </div>
    </li>
  );
}

function ScheduleForm({
  accounts,
  categories,
  today,
  editing,
  onSaved,
  onCancel,
}: {
  accounts: FinanceAccount[];
  categories: FinanceAccount[];
  today: string;
  editing: RecurringView | null;
  onSaved: (r: RecurringView, made: boolean) => void;
  onCancel: () => void;
}) {
  const id = useId();
  const open = accounts.filter((a) => !a.closed_at && (a.kind === 'asset' || a.kind === 'liability'));
  const blank = (): RecurringForm => ({
    name: '',
    unit: 'months',
    every: '1',
    starts: today,
    ends: '',
    notes: '',
    kind: 'expense',
    account_id: open[0]?.id ?? '',
    amount: '',
    category_id: '',
    transfer_account_id: '',
    transfer_amount: '',
    payee: '',
    description: '',
    tags: '',
  });
  const [values, setValues] = useState<RecurringForm>(() => (editing ? recurringForm(editing) : blank()));
  const [errors, setErrors] = useState<RecurringErrors>({});
  const [busy, setBusy] = useState(false);
  const set = <K extends keyof RecurringForm>(key: K, value: RecurringForm[K]) => setValues((v) => ({ ...v, [key]: value }));
  const fid = (f: string) => `${id}-${f}-error`;
  const keepSplits = !!editing?.splits;

  async function submit() {
    const built = recurringBody(values, accounts, { change: !!editing, keepSplits });
    if ('errors' in built) {
      setErrors(built.errors);
      return;
    }
    setErrors({});
    setBusy(true);
    try {
      const saved = editing
        ? await api<RecurringView>(`/agents/v1/finance/recurring/${editing.id}`, { method: 'PATCH', body: built.body })
        : await api<RecurringView>('/agents/v1/finance/recurring', { body: built.body });
      if (!editing) setValues(blank());
      onSaved(saved, !editing);
    } catch (e) {
      setErrors(e instanceof ApiError && e.status === 422 ? apiFieldErrors(e.fields, API_FIELDS, e.message) : { form: [(e as Error).message] });
    } finally {
      setBusy(false);
    }
  }

  if (open.length === 0) return <p className="opacity-80">Open an account first (Accounts).</p>;
  const title = editing ? `Change “${editing.name}”` : 'New recurring transaction';

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
        <label className="flex flex-col gap-1">
          <span className="text-sm">Name</span>
          <input className="input w-full" maxLength={200} value={values.name} onChange={(e) => set('name', e.target.value)} {...wired(fid('name'), errors.name)} />
          <FieldError id={fid('name')} messages={errors.name} />
        </label>
        {keepSplits ? (
          <p className="text-sm">Its split lines stay as they are; change the schedule and the words here.</p>
        ) : (
          <>
            <div role="radiogroup" aria-label="Kind" className="join">
              {KINDS.map((k) => (
                <input key={k.value} className="join-item btn btn-sm" type="radio" name={`${id}-kind`} aria-label={k.label} checked={values.kind === k.value} onChange={() => set('kind', k.value)} />
              ))}
            </div>
            <div className="grid gap-3 sm:grid-cols-2 lg:grid-cols-3">
              <EntryFields values={values} set={(k, v) => set(k, v)} errors={errors} fid={fid} open={open} categories={categories} />
            </div>
          </>
        )}
        <div className="grid gap-3 sm:grid-cols-2 lg:grid-cols-3">
          <fieldset className="flex flex-col gap-1">
            <legend className="mb-1 text-sm">Repeats every</legend>
            <div className="join">
              <input
                className="input join-item w-20"
                inputMode="numeric"
                aria-label="How many"
                value={values.every}
                onChange={(e) => set('every', e.target.value)}
                {...wired(fid('cadence'), errors.cadence)}
              />
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
            <span className="text-sm">First date</span>
            <input className="input w-full" type="date" value={values.starts} onChange={(e) => set('starts', e.target.value)} {...wired(fid('starts'), errors.starts)} />
            <FieldError id={fid('starts')} messages={errors.starts} />
          </label>
          <label className="flex flex-col gap-1">
            <span className="text-sm">Last date (optional)</span>
            <input className="input w-full" type="date" value={values.ends} onChange={(e) => set('ends', e.target.value)} {...wired(fid('ends'), errors.ends)} />
            <FieldError id={fid('ends')} messages={errors.ends} />
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
          <label className="flex flex-col gap-1 sm:col-span-2 lg:col-span-3">
            <span className="text-sm">Notes</span>
            <textarea className="textarea w-full" maxLength={10_000} value={values.notes} onChange={(e) => set('notes', e.target.value)} {...wired(fid('notes'), errors.notes)} />
            <FieldError id={fid('notes')} messages={errors.notes} />
          </label>
        </div>
        {errors.form && (
          <p role="alert" className="text-sm text-error">
            {errors.form.join(' ')}
          </p>
        )}
        <div className="flex flex-wrap gap-2">
          <button className="btn btn-primary" type="submit" disabled={busy}>
            {editing ? 'Save changes' : 'Save recurring transaction'}
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

export function Recurring({ items, accounts, categories, today }: { items: RecurringView[]; accounts: FinanceAccount[]; categories: FinanceAccount[]; today: string }) {
  const id = useId();
  const router = useRouter();
  const [refreshing, startRefresh] = useTransition();
  const [busy, setBusy] = useState(false);
  const [flash, setFlash] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [editing, setEditing] = useState<RecurringView | null>(null);
  const names = new Map([...accounts, ...categories].map((a) => [a.id, a.name]));
  const refresh = () => startRefresh(() => router.refresh());

  async function act(r: RecurringView, action: 'pause' | 'resume' | 'skip' | 'delete') {
    setFlash(null);
    setError(null);
    if (action === 'delete' && !window.confirm(`Delete “${r.name}”? The transactions it posted stay.`)) return;
    setBusy(true);
    try {
      if (action === 'delete') {
        await api(`/agents/v1/finance/recurring/${r.id}`, { method: 'DELETE' });
        if (editing?.id === r.id) setEditing(null);
        setFlash(`Deleted “${r.name}”; the transactions it posted stay.`);
      } else if (action === 'skip') {
        const after = await api<RecurringView>(`/agents/v1/finance/recurring/${r.id}/skip`, { method: 'POST' });
        setFlash(`Skipped ${r.next_date ? dayLabel(r.next_date) : 'the next date'} of “${r.name}”: ${after.next_date ? `next on ${dayLabel(after.next_date)}` : 'no dates left'}.`);
      } else {
        await api<RecurringView>(`/agents/v1/finance/recurring/${r.id}`, { method: 'PATCH', body: { paused: action === 'pause' } });
        setFlash(action === 'pause' ? `Paused “${r.name}”: nothing is posted until it is resumed.` : `Resumed “${r.name}”.`);
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
      <section aria-labelledby={`${id}-list`}>
        <h2 id={`${id}-list`} className="mb-1 font-semibold">
          Recurring transactions
        </h2>
        <p className="mb-2 text-sm opacity-80">Each is posted by itself on its dates, as an uncleared transaction dated that day.</p>
        {items.length === 0 ? (
          <p className="text-sm opacity-80">None yet: rent, a salary or a monthly transfer to savings can be posted for you.</p>
        ) : (
          <ul className="space-y-2" aria-label="Recurring transactions">
            {items.map((r) => (
              <Item
                key={r.id}
                r={r}
                names={names}
                busy={busy}
                onEdit={() => {
                  setFlash(null);
                  setEditing(r);
                }}
                onAct={(action) => void act(r, action)}
              />
            ))}
          </ul>
        )}
      </section>
      <ScheduleForm
        key={editing?.id ?? 'new'}
        accounts={accounts}
        categories={categories}
        today={today}
        editing={editing}
        onCancel={() => setEditing(null)}
        onSaved={(r, made) => {
          setEditing(null);
          setError(null);
          setFlash(made ? `Saved “${r.name}”: ${r.next_date ? `next on ${dayLabel(r.next_date)}` : 'no dates left'}.` : `Saved the changes to “${r.name}”.`);
          refresh();
        }}
      />
    </div>
  );
}
