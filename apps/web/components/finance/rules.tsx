'use client';
// Rules: what imports do to each line (set a category, a payee, a tag when the payee or
// description contains some words, the amount is or is within a range, money goes out or in,
// or the account is one), in the order they run. A rule is made or changed with any number of
// conditions (all or any of them matching) and actions; it can be tried on past transactions
// first (a dry run lists what would change, reconciled ones left alone), then applied, paused or
// deleted.

import { useRouter } from 'next/navigation';
import { useId, useState, useTransition } from 'react';

import { Notices } from '@/components/alerts';
import { api, ApiError } from '@/lib/client/api';
import { blankAction, blankCondition, categoryOptions, dayLabel, RULE_ACTIONS, RULE_CONDITIONS, ruleApiErrors, ruleDrafts, ruleOf, type ActionDraft, type ConditionDraft, type FinanceAccount, type RuleSpec } from '@/lib/finance';

import { FieldError, Money, Scroll, wired } from './money';

export type { RuleAction, RuleCondition } from '@/lib/finance';

export interface SavedRule {
  id: string;
  name: string;
  position: number;
  enabled: boolean;
  rule: RuleSpec;
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

type Errors = Record<string, string[]>;

/** The form that makes a rule or changes one: its name, whether all or any conditions must match, the conditions and the actions, rows added and taken away. */
function RuleEditor({ categories, accounts, editing, onSaved, onCancel }: { categories: FinanceAccount[]; accounts: FinanceAccount[]; editing: SavedRule | null; onSaved: (rule: SavedRule, made: boolean) => void; onCancel: () => void }) {
  const id = useId();
  const start = editing ? ruleDrafts(editing.rule) : { conditions: [blankCondition()], actions: [blankAction()] };
  const [name, setName] = useState(editing?.name ?? '');
  const [matchAll, setMatchAll] = useState(editing?.rule.match_all ?? true);
  const [conditions, setConditions] = useState<ConditionDraft[]>(start.conditions);
  const [actions, setActions] = useState<ActionDraft[]>(start.actions);
  const [errors, setErrors] = useState<Errors>({});
  const [busy, setBusy] = useState(false);
  const fid = (f: string) => `${id}-${f.replace(/[^\w-]/g, '_')}-error`;
  const setCondition = (i: number, c: Partial<ConditionDraft>) => setConditions((all) => all.map((x, at) => (at === i ? { ...x, ...c } : x)));
  const setAction = (i: number, a: Partial<ActionDraft>) => setActions((all) => all.map((x, at) => (at === i ? { ...x, ...a } : x)));
  const ownAccounts = accounts.filter((a) => a.kind === 'asset' || a.kind === 'liability');
  const choices = categoryOptions(categories).filter((o) => !categories.find((c) => c.id === o.id)?.role);

  async function save() {
    const built = ruleOf(conditions, actions, matchAll);
    const found: Errors = 'errors' in built ? { ...built.errors } : {};
    if (!name.trim()) found.name = ['Give the rule a name.'];
    setErrors(found);
    if (Object.keys(found).length || 'errors' in built) return;
    setBusy(true);
    try {
      const body = { name: name.trim(), rule: built.rule };
      const saved = editing ? await api<SavedRule>(`/agents/v1/finance/rules/${editing.id}`, { method: 'PATCH', body }) : await api<SavedRule>('/agents/v1/finance/rules', { body });
      if (!editing) {
        setName('');
        setConditions([blankCondition()]);
        setActions([blankAction()]);
      }
      onSaved(saved, !editing);
    } catch (e) {
      setErrors(e instanceof ApiError && e.status === 422 ? ruleApiErrors(e.fields, e.message) : { form: [(e as Error).message] });
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
        void save();
      }}
    >
      <div className="card-body gap-3">
        <h2 id={`${id}-title`} className="card-title text-base">
          {editing ? `Change the rule “${editing.name}”` : 'New rule'}
        </h2>
        <div className="grid gap-3 sm:grid-cols-2">
          <label className="flex flex-col gap-1">
            <span className="text-sm">Name</span>
            <input className="input w-full" maxLength={200} value={name} onChange={(e) => setName(e.target.value)} {...wired(fid('name'), errors.name)} />
            <FieldError id={fid('name')} messages={errors.name} />
          </label>
          <label className="flex flex-col gap-1">
            <span className="text-sm">Applies when</span>
            <select className="select w-full" value={matchAll ? 'all' : 'any'} onChange={(e) => setMatchAll(e.target.value === 'all')}>
              <option value="all">every condition matches</option>
              <option value="any">any one condition matches</option>
            </select>
          </label>
        </div>
        <fieldset className="flex flex-col gap-2">
          <legend className="mb-1 text-sm font-semibold">Conditions</legend>
          <ol className="flex flex-col gap-2" aria-label="Conditions">
            {conditions.map((c, i) => {
              const n = i + 1;
              const err = errors[`conditions[${i}]`];
              const w = wired(fid(`conditions[${i}]`), err);
              return (
                <li key={i} className="flex flex-wrap items-end gap-2" data-testid="rule-condition">
                  <label className="flex flex-col gap-1">
                    <span className="text-xs">Condition {n}: type</span>
                    <select className="select select-sm w-52" value={c.type} onChange={(e) => setCondition(i, { type: e.target.value })}>
                      {RULE_CONDITIONS.map((o) => (
                        <option key={o.value} value={o.value}>
                          {o.label}
                        </option>
                      ))}
                    </select>
                  </label>
                  {(c.type === 'payee_contains' || c.type === 'description_contains' || c.type === 'payee_is') && (
                    <label className="flex flex-1 flex-col gap-1">
                      <span className="text-xs">Condition {n}: words</span>
                      <input className="input input-sm w-full min-w-40" maxLength={200} autoComplete="off" value={c.value} onChange={(e) => setCondition(i, { value: e.target.value })} {...w} />
                    </label>
                  )}
                  {c.type === 'amount_equals' && (
                    <label className="flex flex-col gap-1">
                      <span className="text-xs">Condition {n}: amount</span>
                      <input className="input input-sm w-32" inputMode="decimal" autoComplete="off" placeholder="-9.99" value={c.value} onChange={(e) => setCondition(i, { value: e.target.value })} {...w} />
                    </label>
                  )}
                  {c.type === 'amount_between' && (
                    <>
                      <label className="flex flex-col gap-1">
                        <span className="text-xs">Condition {n}: from</span>
                        <input className="input input-sm w-28" inputMode="decimal" autoComplete="off" placeholder="-50.00" value={c.min} onChange={(e) => setCondition(i, { min: e.target.value })} {...w} />
                      </label>
                      <label className="flex flex-col gap-1">
                        <span className="text-xs">Condition {n}: to</span>
                        <input className="input input-sm w-28" inputMode="decimal" autoComplete="off" placeholder="-10.00" value={c.max} onChange={(e) => setCondition(i, { max: e.target.value })} {...w} />
                      </label>
                    </>
                  )}
                  {c.type === 'account' && (
                    <label className="flex flex-col gap-1">
                      <span className="text-xs">Condition {n}: account</span>
                      <select className="select select-sm w-52" value={c.id} onChange={(e) => setCondition(i, { id: e.target.value })} {...w}>
                        <option value="">Choose…</option>
                        {ownAccounts.map((a) => (
                          <option key={a.id} value={a.id}>
                            {a.name}
                          </option>
                        ))}
                      </select>
                    </label>
                  )}
                  <button type="button" className="btn btn-ghost btn-sm text-error" disabled={conditions.length <= 1} onClick={() => setConditions((all) => all.filter((_, at) => at !== i))} aria-label={`Remove condition ${n}`}>
                    Remove
                  </button>
                  <div className="basis-full">
                    <FieldError id={fid(`conditions[${i}]`)} messages={err} />
                  </div>
                </li>
              );
            })}
          </ol>
          <button type="button" className="btn btn-sm self-start" disabled={conditions.length >= 50} onClick={() => setConditions((all) => [...all, blankCondition()])}>
            Add a condition
          </button>
        </fieldset>
        <fieldset className="flex flex-col gap-2">
          <legend className="mb-1 text-sm font-semibold">Then</legend>
          <ol className="flex flex-col gap-2" aria-label="Actions">
            {actions.map((a, i) => {
              const n = i + 1;
              const err = errors[`actions[${i}]`];
              const w = wired(fid(`actions[${i}]`), err);
              return (
                <li key={i} className="flex flex-wrap items-end gap-2" data-testid="rule-action">
                  <label className="flex flex-col gap-1">
                    <span className="text-xs">Action {n}: type</span>
                    <select className="select select-sm w-52" value={a.type} onChange={(e) => setAction(i, { type: e.target.value, value: '' })}>
                      {RULE_ACTIONS.map((o) => (
                        <option key={o.value} value={o.value}>
                          {o.label}
                        </option>
                      ))}
                    </select>
                  </label>
                  {a.type === 'set_category' ? (
                    <label className="flex flex-1 flex-col gap-1">
                      <span className="text-xs">Action {n}: category</span>
                      <select className="select select-sm w-full min-w-40" value={a.value} onChange={(e) => setAction(i, { value: e.target.value })} {...w}>
                        <option value="">Choose…</option>
                        {choices.map((o) => (
                          <option key={o.id} value={o.id}>
                            {o.label}
                          </option>
                        ))}
                      </select>
                    </label>
                  ) : (
                    <label className="flex flex-1 flex-col gap-1">
                      <span className="text-xs">
                        Action {n}: {a.type === 'set_payee' ? 'payee' : 'tag'}
                      </span>
                      <input className="input input-sm w-full min-w-40" maxLength={a.type === 'set_payee' ? 200 : 50} autoComplete="off" value={a.value} onChange={(e) => setAction(i, { value: e.target.value })} {...w} />
                    </label>
                  )}
                  <button type="button" className="btn btn-ghost btn-sm text-error" disabled={actions.length <= 1} onClick={() => setActions((all) => all.filter((_, at) => at !== i))} aria-label={`Remove action ${n}`}>
                    Remove
                  </button>
                  <div className="basis-full">
                    <FieldError id={fid(`actions[${i}]`)} messages={err} />
                  </div>
                </li>
              );
            })}
          </ol>
          <button type="button" className="btn btn-sm self-start" onClick={() => setActions((all) => [...all, blankAction()])}>
            Add an action
          </button>
        </fieldset>
        {(errors.rule || errors.form) && (
          <p role="alert" className="text-sm text-error">
            {[...(errors.rule ?? []), ...(errors.form ?? [])].join(' ')}
          </p>
        )}
        <div className="flex flex-wrap gap-2">
          <button className="btn btn-primary" type="submit" disabled={busy}>
            {editing ? 'Save changes' : 'Save rule'}
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

export function Rules({ rules, categories, accounts }: { rules: SavedRule[]; categories: FinanceAccount[]; accounts: FinanceAccount[] }) {
  const id = useId();
  const router = useRouter();
  const [refreshing, startRefresh] = useTransition();
  const [busy, setBusy] = useState(false);
  const [flash, setFlash] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [run, setRun] = useState<{ rule: SavedRule; result: RuleRun } | null>(null);
  const [editing, setEditing] = useState<SavedRule | null>(null);
  const names = new Map([...categories, ...accounts].map((c) => [c.id, c.name]));
  const refresh = () => startRefresh(() => router.refresh());

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
        if (editing?.id === rule.id) setEditing(null);
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
      <Notices flash={flash} error={error} />
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
                    <button
                      type="button"
                      className="btn btn-xs"
                      disabled={busy}
                      onClick={() => {
                        setFlash(null);
                        setEditing(r);
                      }}
                      aria-label={`Edit ${r.name}`}
                    >
                      Edit
                    </button>
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

      <RuleEditor
        key={editing?.id ?? 'new'}
        categories={categories}
        accounts={accounts}
        editing={editing}
        onCancel={() => setEditing(null)}
        onSaved={(rule, made) => {
          setEditing(null);
          setError(null);
          setFlash(made ? `Saved the rule “${rule.name}”: imports apply it from now on. Try it on past transactions with “Dry run”.` : `Saved the changes to the rule “${rule.name}”.`);
          refresh();
        }}
      />
    </div>
  );
}
