'use client';
// Rules: what imports do to each line (set a category, a payee, a tag when the payee or
// description contains some words, or the amount is in a range), in the order they run. A new
// rule is one condition and what it sets; a rule can be tried on past transactions first (a dry
// run lists what would change, reconciled ones left alone), then applied, paused or deleted.

import { useRouter } from 'next/navigation';
import { useId, useState, useTransition } from 'react';

import { api, ApiError } from '@/lib/client/api';
import { apiFieldErrors, categoryOptions, cleanAmount, dayLabel, isDecimal, type FinanceAccount } from '@/lib/finance';

import { FieldError, Money, Scroll, wired } from './money';

export interface RuleCondition {
  type: string;
  value?: string;
  amount?: string;
  min?: string;
  max?: string;
  id?: string;
}

export interface RuleAction {
  type: string;
  id?: string;
  name?: string;
  tag?: string;
}

export interface SavedRule {
  id: string;
  name: string;
  position: number;
  enabled: boolean;
  rule: { conditions: RuleCondition[]; actions: RuleAction[]; match_all: boolean };
  created_at: string;
  updated_at: string;
}

export interface RuleRun {
  rule_id: string;
  written: boolean;
  matched: number;
  changed: number;
  skipped_reconciled: number;
  changes: {
    transaction_id: string;
    date: string;
    payee: string | null;
    amount: string;
    currency: string;
    account_id: string;
    current_category: string | null;
    new_category: string | null;
    new_payee: string | null;
    added_tags: string[];
  }[];
  truncated: boolean;
}

/** A rule in words: `payee contains “rewe” → category Groceries`. */
export function describeRule(rule: SavedRule['rule'], names: Map<string, string>): string {
  const when = rule.conditions.map((c) => {
    switch (c.type) {
      case 'payee_contains':
        return `payee contains “${c.value}”`;
      case 'payee_is':
        return `payee is “${c.value}”`;
      case 'description_contains':
        return `description contains “${c.value}”`;
      case 'amount_equals':
        return `amount is ${c.amount}`;
      case 'amount_between':
        return `amount from ${c.min} to ${c.max}`;
      case 'outflow':
        return 'money out';
      case 'inflow':
        return 'money in';
      case 'account':
        return `account is ${names.get(c.id ?? '') ?? 'another account'}`;
      default:
        return c.type;
    }
  });
  const then = rule.actions.map((a) => {
    switch (a.type) {
      case 'set_category':
        return `category ${names.get(a.id ?? '') ?? '(deleted)'}`;
      case 'set_payee':
        return `payee “${a.name}”`;
      case 'add_tag':
        return `tag “${a.tag}”`;
      default:
        return a.type;
    }
  });
  return `${when.join(rule.match_all ? ' and ' : ' or ')} → ${then.join(', ')}`;
}

const CONDITIONS = [
  { value: 'payee_contains', label: 'Payee contains' },
  { value: 'description_contains', label: 'Description contains' },
  { value: 'payee_is', label: 'Payee is' },
  { value: 'amount_equals', label: 'Amount is' },
];

const FIELDS = ['name', 'rule', 'value', 'category'] as const;
type Errors = Partial<Record<(typeof FIELDS)[number] | 'form', string[]>>;

export function Rules({ rules, categories, accounts }: { rules: SavedRule[]; categories: FinanceAccount[]; accounts: FinanceAccount[] }) {
  const id = useId();
  const router = useRouter();
  const [refreshing, startRefresh] = useTransition();
  const [errors, setErrors] = useState<Errors>({});
  const [busy, setBusy] = useState(false);
  const [flash, setFlash] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [run, setRun] = useState<{ rule: SavedRule; result: RuleRun } | null>(null);
  const names = new Map([...categories, ...accounts].map((c) => [c.id, c.name]));
  const fid = (f: string) => `${id}-${f}-error`;
  const refresh = () => startRefresh(() => router.refresh());

  async function create(form: HTMLFormElement) {
    const data = new FormData(form);
    const get = (k: string) => String(data.get(k) ?? '').trim();
    const kind = get('condition');
    const value = kind === 'amount_equals' ? cleanAmount(get('value')) : get('value');
    const found: Errors = {};
    if (!get('name')) found.name = ['Give the rule a name.'];
    if (!value) found.value = ['Give the words (or the amount) to look for.'];
    else if (kind === 'amount_equals' && !isDecimal(value)) found.value = ['Write the amount as digits, like -9.99 (money out is negative).'];
    if (!get('category')) found.category = ['Choose the category it sets.'];
    setErrors(found);
    setFlash(null);
    setError(null);
    if (Object.keys(found).length) return;
    const condition = kind === 'amount_equals' ? { type: kind, amount: value } : { type: kind, value };
    setBusy(true);
    try {
      const made = await api<SavedRule>('/agents/v1/finance/rules', {
        body: { name: get('name'), rule: { conditions: [condition], actions: [{ type: 'set_category', id: get('category') }], match_all: true } },
      });
      form.reset();
      setFlash(`Saved the rule “${made.name}”: imports apply it from now on. Try it on past transactions with “Dry run”.`);
      refresh();
    } catch (e) {
      setErrors(e instanceof ApiError && e.status === 422 ? apiFieldErrors(e.fields, FIELDS, e.message) : { form: [(e as Error).message] });
    } finally {
      setBusy(false);
    }
  }

  async function act(rule: SavedRule, action: 'dry-run' | 'apply' | 'pause' | 'resume' | 'delete') {
    setFlash(null);
    setError(null);
    if (action === 'delete' && !window.confirm(`Delete the rule “${rule.name}”? What it set on transactions stays.`)) return;
    if (action === 'apply' && !window.confirm(`Apply “${rule.name}” to your past transactions? Reconciled ones are left as they are.`)) return;
    setBusy(true);
    try {
      if (action === 'dry-run' || action === 'apply') {
        const result = await api<RuleRun>(`/agents/v1/finance/rules/${rule.id}/${action}`, { method: 'POST' });
        setRun({ rule, result });
        if (action === 'apply') {
          setFlash(`Applied “${rule.name}”: ${result.changed} transaction${result.changed === 1 ? '' : 's'} changed.`);
          refresh();
        }
      } else if (action === 'delete') {
        await api(`/agents/v1/finance/rules/${rule.id}`, { method: 'DELETE' });
        if (run?.rule.id === rule.id) setRun(null);
        setFlash(`Deleted the rule “${rule.name}”.`);
        refresh();
      } else {
        await api(`/agents/v1/finance/rules/${rule.id}`, { method: 'PATCH', body: { enabled: action === 'resume' } });
        refresh();
      }
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="space-y-6" aria-busy={refreshing}>
      {flash && (
        <div role="status" className="alert alert-success alert-soft">
          <span>{flash}</span>
        </div>
      )}
      {error && (
        <div role="alert" className="alert alert-error alert-soft">
          <span>{error}</span>
        </div>
      )}
      <section aria-labelledby={`${id}-list`}>
        <h2 id={`${id}-list`} className="mb-2 font-semibold">
          Rules, in the order they run
        </h2>
        {rules.length === 0 ? (
          <p className="text-sm opacity-80">No rules yet. Imported lines stay uncategorised until you categorise them or a rule does.</p>
        ) : (
          <ul className="space-y-2" aria-label="Rules">
            {rules.map((r) => (
              <li key={r.id} className="card card-sm bg-base-100 shadow-sm" data-testid="rule">
                <div className="card-body gap-1">
                  <div className="flex flex-wrap items-center gap-2">
                    <span className="flex-1 font-medium">{r.name}</span>
                    {!r.enabled && <span className="badge badge-sm badge-ghost">paused</span>}
                  </div>
                  <p className="text-sm" data-testid="rule-words">
                    {describeRule(r.rule, names)}
                  </p>
                  <div className="flex flex-wrap gap-1">
                    <button type="button" className="btn btn-xs" disabled={busy} onClick={() => void act(r, 'dry-run')} aria-label={`Dry run ${r.name}`}>
                      Dry run
                    </button>
                    <button type="button" className="btn btn-xs" disabled={busy} onClick={() => void act(r, 'apply')} aria-label={`Apply to past transactions: ${r.name}`}>
                      Apply to past transactions
                    </button>
                    <button type="button" className="btn btn-xs" disabled={busy} onClick={() => void act(r, r.enabled ? 'pause' : 'resume')} aria-label={`${r.enabled ? 'Pause' : 'Resume'} ${r.name}`}>
                      {r.enabled ? 'Pause' : 'Resume'}
                    </button>
                    <button type="button" className="btn btn-ghost btn-xs text-error" disabled={busy} onClick={() => void act(r, 'delete')} aria-label={`Delete ${r.name}`}>
                      Delete
                    </button>
                  </div>
                </div>
              </li>
            ))}
          </ul>
        )}
      </section>

      {run && (
        <section className="card bg-base-100 shadow-sm" aria-labelledby={`${id}-run`} data-testid="rule-run">
          <div className="card-body gap-2">
            <h2 id={`${id}-run`} className="card-title text-base">
              {run.result.written ? 'Applied' : 'Dry run of'} “{run.rule.name}”
            </h2>
            <p data-testid="rule-run-summary">
              {run.result.matched} matched, {run.result.changed} {run.result.written ? 'changed' : 'would change'}
              {run.result.skipped_reconciled > 0 ? `, ${run.result.skipped_reconciled} reconciled left as they are` : ''}.
            </p>
            {run.result.changes.length > 0 && (
              <Scroll label="What the rule changes">
                <table className="table table-sm" aria-label="What the rule changes">
                  <thead>
                    <tr>
                      <th scope="col">Date</th>
                      <th scope="col">Payee</th>
                      <th scope="col" className="text-right">
                        Amount
                      </th>
                      <th scope="col">Category now</th>
                      <th scope="col">Becomes</th>
                    </tr>
                  </thead>
                  <tbody>
                    {run.result.changes.map((c) => (
                      <tr key={c.transaction_id} data-testid="rule-change">
                        <td className="whitespace-nowrap">{dayLabel(c.date)}</td>
                        <th scope="row" className="font-normal">
                          {c.payee ?? ''}
                        </th>
                        <td className="text-right">
                          <Money amount={c.amount} currency={c.currency} />
                        </td>
                        <td>{c.current_category ?? ''}</td>
                        <td>{[c.new_category, c.new_payee && `payee “${c.new_payee}”`, ...c.added_tags.map((t) => `tag “${t}”`)].filter(Boolean).join(', ')}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </Scroll>
            )}
            {run.result.truncated && <p className="text-sm">Only the first changes are listed.</p>}
          </div>
        </section>
      )}

      <form
        className="card bg-base-100 shadow-sm"
        aria-labelledby={`${id}-new`}
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void create(e.currentTarget);
        }}
      >
        <div className="card-body gap-3">
          <h2 id={`${id}-new`} className="card-title text-base">
            New rule
          </h2>
          <div className="grid gap-3 sm:grid-cols-2">
            <label className="flex flex-col gap-1 sm:col-span-2">
              <span className="text-sm">Name</span>
              <input className="input w-full" name="name" maxLength={200} {...wired(fid('name'), errors.name)} />
              <FieldError id={fid('name')} messages={errors.name} />
            </label>
            <label className="flex flex-col gap-1">
              <span className="text-sm">When</span>
              <select className="select w-full" name="condition" defaultValue="payee_contains">
                {CONDITIONS.map((c) => (
                  <option key={c.value} value={c.value}>
                    {c.label}
                  </option>
                ))}
              </select>
            </label>
            <label className="flex flex-col gap-1">
              <span className="text-sm">Words or amount</span>
              <input className="input w-full" name="value" maxLength={200} autoComplete="off" {...wired(fid('value'), errors.value)} />
              <FieldError id={fid('value')} messages={errors.value} />
            </label>
            <label className="flex flex-col gap-1 sm:col-span-2">
              <span className="text-sm">Set the category</span>
              <select className="select w-full" name="category" defaultValue="" {...wired(fid('category'), errors.category)}>
                <option value="">Choose…</option>
                {categoryOptions(categories)
                  .filter((o) => !categories.find((c) => c.id === o.id)?.role)
                  .map((o) => (
                    <option key={o.id} value={o.id}>
                      {o.label}
                    </option>
                  ))}
              </select>
              <FieldError id={fid('category')} messages={errors.category} />
            </label>
          </div>
          {(errors.rule || errors.form) && (
            <p role="alert" className="text-sm text-error">
              {[...(errors.rule ?? []), ...(errors.form ?? [])].join(' ')}
            </p>
          )}
          <button className="btn btn-primary" type="submit" disabled={busy}>
            Save rule
          </button>
        </div>
      </form>
    </div>
  );
}
