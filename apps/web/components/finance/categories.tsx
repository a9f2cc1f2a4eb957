'use client';
// Categories: what money is spent on and earned from (agents' income and expense accounts),
// nested. Make one (under another of its kind, optionally), delete one nothing uses. Posey's
// own "Uncategorised" ones stay.

import { useRouter } from 'next/navigation';
import { useId, useState, useTransition } from 'react';

import { api, ApiError } from '@/lib/client/api';
import { apiFieldErrors, categoryOptions, type FinanceAccount } from '@/lib/finance';

import { FieldError, wired } from './money';

const FIELDS = ['name', 'kind', 'parent_id'] as const;
type Errors = Partial<Record<(typeof FIELDS)[number] | 'form', string[]>>;

export function Categories({ categories }: { categories: FinanceAccount[] }) {
  const id = useId();
  const router = useRouter();
  const [refreshing, startRefresh] = useTransition();
  const [kind, setKind] = useState<'expense' | 'income'>('expense');
  const [errors, setErrors] = useState<Errors>({});
  const [busy, setBusy] = useState(false);
  const [flash, setFlash] = useState<string | null>(null);
  const fid = (f: string) => `${id}-${f}-error`;
  const listed = categoryOptions(categories);
  const byId = new Map(categories.map((c) => [c.id, c]));

  async function submit(form: HTMLFormElement) {
    const data = new FormData(form);
    const name = String(data.get('name') ?? '').trim();
    const parent = String(data.get('parent_id') ?? '');
    setFlash(null);
    if (!name) {
      setErrors({ name: ['Give the category a name.'] });
      return;
    }
    setErrors({});
    setBusy(true);
    try {
      const made = await api<FinanceAccount>('/agents/v1/finance/categories', { body: { name, kind, ...(parent ? { parent_id: parent } : {}) } });
      form.reset();
      setFlash(`Made the category “${made.name}”.`);
      startRefresh(() => router.refresh());
    } catch (e) {
      setErrors(e instanceof ApiError && e.status === 422 ? apiFieldErrors(e.fields, FIELDS, e.message) : { form: [(e as Error).message] });
    } finally {
      setBusy(false);
    }
  }

  async function remove(c: FinanceAccount) {
    if (!window.confirm(`Delete the category “${c.name}”?`)) return;
    setErrors({});
    setFlash(null);
    try {
      await api(`/agents/v1/finance/categories/${c.id}`, { method: 'DELETE' });
      setFlash(`Deleted the category “${c.name}”.`);
      startRefresh(() => router.refresh());
    } catch (e) {
      setErrors({ form: [(e as Error).message] });
    }
  }

  return (
    <section className="card bg-base-100 shadow-sm" aria-labelledby={`${id}-title`} aria-busy={refreshing}>
      <div className="card-body gap-3">
        <h2 id={`${id}-title`} className="card-title text-base">
          Categories
        </h2>
        {listed.length === 0 ? (
          <p className="text-sm opacity-80">No categories yet.</p>
        ) : (
          <ul className="divide-y divide-base-300 text-sm" aria-label="Categories">
            {listed.map((o) => {
              const c = byId.get(o.id) as FinanceAccount;
              return (
                <li key={o.id} className="flex items-center gap-2 py-1" data-testid="category">
                  <span className="flex-1">{o.label}</span>
                  <span className="badge badge-sm badge-ghost">{o.kind}</span>
                  {!c.role && (
                    <button type="button" className="btn btn-ghost btn-xs text-error" onClick={() => void remove(c)} aria-label={`Delete the category ${o.label}`}>
                      Delete
                    </button>
                  )}
                </li>
              );
            })}
          </ul>
        )}
        <form
          className="flex flex-wrap items-start gap-2"
          aria-label="New category"
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            void submit(e.currentTarget);
          }}
        >
          <label className="flex flex-col gap-1">
            <span className="text-sm">New category</span>
            <input className="input input-sm w-48" name="name" maxLength={200} {...wired(fid('name'), errors.name)} />
            <FieldError id={fid('name')} messages={errors.name} />
          </label>
          <label className="flex flex-col gap-1">
            <span className="text-sm">Kind</span>
            <select className="select select-sm w-32" name="kind" value={kind} onChange={(e) => setKind(e.target.value as 'expense' | 'income')} {...wired(fid('kind'), errors.kind)}>
              <option value="expense">Expense</option>
              <option value="income">Income</option>
            </select>
            <FieldError id={fid('kind')} messages={errors.kind} />
          </label>
          <label className="flex flex-col gap-1">
            <span className="text-sm">Under</span>
            <select key={kind} className="select select-sm w-48" name="parent_id" defaultValue="" {...wired(fid('parent_id'), errors.parent_id)}>
              <option value="">(top level)</option>
              {categoryOptions(categories, kind)
                .filter((o) => !byId.get(o.id)?.role)
                .map((o) => (
                  <option key={o.id} value={o.id}>
                    {o.label}
                  </option>
                ))}
            </select>
            <FieldError id={fid('parent_id')} messages={errors.parent_id} />
          </label>
          <button className="btn btn-sm mt-6" type="submit" disabled={busy}>
            Add category
          </button>
        </form>
        {errors.form && (
          <p role="alert" className="text-sm text-error">
            {errors.form.join(' ')}
          </p>
        )}
        {flash && (
          <p role="status" className="text-sm">
            {flash}
          </p>
        )}
      </div>
    </section>
  );
}
