'use client';
// The open to-dos: add one (with a due date if wanted), tick one off (it is completed, and
// leaves the list). A ticked one stays ticked and still until the server has it, so a second
// click cannot send a second completion with the first one's now stale version.

import { useState } from 'react';

import { dueLabel, isDate } from '@/lib/calendar';
import { api } from '@/lib/client/api';
import type { CalendarItem } from '@/lib/types';

export function Todos({ initial, zone, today }: { initial: CalendarItem[]; zone: string; today: string }) {
  const [todos, setTodos] = useState(initial);
  const [error, setError] = useState<string | null>(null);
  const [flash, setFlash] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [completing, setCompleting] = useState<ReadonlySet<string>>(new Set());

  async function add(form: HTMLFormElement) {
    const data = new FormData(form);
    const summary = String(data.get('summary') ?? '').trim();
    const due = String(data.get('due') ?? '');
    setError(null);
    setFlash(null);
    if (!summary) {
      setError('Say what is to be done.');
      return;
    }
    setBusy(true);
    try {
      const todo = await api<CalendarItem>('/agents/v1/todos', { body: { summary, ...(isDate(due) ? { due: { date: due } } : {}) } });
      setTodos((list) => [...list, todo]);
      form.reset();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  }

  async function complete(todo: CalendarItem) {
    if (completing.has(todo.id)) return;
    setError(null);
    setCompleting((ids) => new Set(ids).add(todo.id));
    try {
      await api(`/agents/v1/todos/${todo.id}`, { method: 'PATCH', body: { status: 'completed' }, headers: { 'if-match': todo.etag } });
      setTodos((list) => list.filter((t) => t.id !== todo.id));
      setFlash(`Done: “${todo.summary ?? ''}”.`);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setCompleting((ids) => {
        const rest = new Set(ids);
        rest.delete(todo.id);
        return rest;
      });
    }
  }

  return (
    <section aria-labelledby="todos-title" className="card bg-base-100 shadow-sm">
      <div className="card-body gap-3">
        <h2 id="todos-title" className="card-title text-base">
          To-dos
        </h2>
        <form
          className="flex flex-wrap gap-2"
          onSubmit={(e) => {
            e.preventDefault();
            void add(e.currentTarget);
          }}
        >
          <label className="input min-w-40 flex-1">
            <span className="sr-only">New to-do</span>
            <input name="summary" maxLength={500} placeholder="Something to do" autoComplete="off" />
          </label>
          <label className="input w-auto">
            <span className="label">Due</span>
            <input type="date" name="due" />
          </label>
          <button className="btn btn-primary" type="submit" disabled={busy}>
            Add
          </button>
        </form>
        {error && (
          <p role="alert" className="text-sm text-error">
            {error}
          </p>
        )}
        {flash && (
          <p role="status" className="text-sm">
            {flash}
          </p>
        )}
        {todos.length === 0 ? (
          <p className="text-sm opacity-80">Nothing to do.</p>
        ) : (
          <ul aria-label="Open to-dos" className="space-y-1">
            {todos.map((t) => {
              const due = dueLabel(t.end, zone);
              const overdue = !!t.end?.date && t.end.date < today;
              return (
                <li key={t.id} className="flex items-center gap-2" data-testid="todo">
                  <input
                    type="checkbox"
                    className="checkbox checkbox-sm"
                    aria-label={`Done: ${t.summary ?? ''}`}
                    checked={completing.has(t.id)}
                    disabled={completing.has(t.id)}
                    onChange={() => void complete(t)}
                  />
                  <span className="flex-1">{t.summary}</span>
                  {due && <span className={`text-xs ${overdue ? 'text-error' : 'opacity-80'}`}>{overdue ? `overdue, ${due}` : `due ${due}`}</span>}
                </li>
              );
            })}
          </ul>
        )}
      </div>
    </section>
  );
}
