'use client';
// Reminders: a builder for one-off and repeating ones in the person's time zone (or a cron or
// RRULE spec for anything else), and the list with pause/resume, run now, history and delete.

import { cronSpec, ReminderCard, type Repeat, type TaskAction, WEEKDAYS } from '@posey/ui';
import Link from 'next/link';
import { useState } from 'react';

import { api } from '@/lib/client/api';
import type { Task } from '@/lib/types';

type Mode = 'once' | 'repeat' | 'custom';

function Builder({ zone, onCreated }: { zone: string; onCreated: (t: Task) => void }) {
  const [mode, setMode] = useState<Mode>('once');
  const [repeat, setRepeat] = useState<Repeat>('daily');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(form: HTMLFormElement) {
    const data = new FormData(form);
    const get = (k: string) => String(data.get(k) ?? '').trim();
    setError(null);
    let schedule: { kind: string; spec: string };
    try {
      if (mode === 'once') {
        if (!get('date') || !get('time')) throw new Error('Pick a date and a time.');
        schedule = { kind: 'once', spec: `${get('date')}T${get('time')}` };
      } else if (mode === 'repeat') {
        schedule = { kind: 'cron', spec: cronSpec(repeat, get('time'), data.getAll('days').map(String), Number(get('dom') || 1)) };
      } else {
        schedule = { kind: get('kind'), spec: get('spec') };
      }
    } catch (e) {
      setError((e as Error).message);
      return;
    }
    setBusy(true);
    try {
      const body = get('body');
      const task = await api<Task>('/cron/v1/tasks', {
        body: { name: get('title'), kind: 'reminder', payload: body ? { title: get('title'), body } : { title: get('title') }, schedule, time_zone: zone },
      });
      form.reset();
      onCreated(task);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form
      className="card bg-base-100 shadow-sm"
      onSubmit={(e) => {
        e.preventDefault();
        void submit(e.currentTarget);
      }}
    >
      <div className="card-body gap-3">
        <h2 className="card-title text-base">New reminder</h2>
        <label className="floating-label">
          <span>What to remind you of</span>
          <input className="input w-full" name="title" required maxLength={200} placeholder="What to remind you of" />
        </label>
        <label className="floating-label">
          <span>Note (optional)</span>
          <input className="input w-full" name="body" maxLength={2000} placeholder="Note (optional)" />
        </label>
        <div role="radiogroup" aria-label="When" className="join">
          {(['once', 'repeat', 'custom'] as Mode[]).map((m) => (
            <input
              key={m}
              className="join-item btn btn-sm"
              type="radio"
              name="mode"
              aria-label={m === 'once' ? 'Once' : m === 'repeat' ? 'Repeats' : 'Custom'}
              checked={mode === m}
              onChange={() => setMode(m)}
            />
          ))}
        </div>
        {mode === 'once' && (
          <div className="flex flex-wrap gap-2">
            <label className="input w-auto">
              <span className="label">Date</span>
              <input type="date" name="date" required />
            </label>
            <label className="input w-auto">
              <span className="label">Time</span>
              <input type="time" name="time" required />
            </label>
          </div>
        )}
        {mode === 'repeat' && (
          <div className="flex flex-col gap-2">
            <div className="flex flex-wrap gap-2">
              <select className="select w-auto" aria-label="How often" value={repeat} onChange={(e) => setRepeat(e.target.value as Repeat)}>
                <option value="daily">Every day</option>
                <option value="weekdays">Weekdays</option>
                <option value="weekly">On chosen days</option>
                <option value="monthly">Every month</option>
              </select>
              <label className="input w-auto">
                <span className="label">At</span>
                <input type="time" name="time" required defaultValue="09:00" />
              </label>
              {repeat === 'monthly' && (
                <label className="input w-auto">
                  <span className="label">Day</span>
                  <input type="number" name="dom" min={1} max={31} defaultValue={1} className="w-16" />
                </label>
              )}
            </div>
            {repeat === 'weekly' && (
              <fieldset className="flex flex-wrap gap-3">
                <legend className="sr-only">Days of the week</legend>
                {WEEKDAYS.map((d) => (
                  <label key={d} className="flex items-center gap-1 text-sm">
                    <input type="checkbox" className="checkbox checkbox-sm" name="days" value={d} />
                    {d.slice(0, 1) + d.slice(1).toLowerCase()}
                  </label>
                ))}
              </fieldset>
            )}
          </div>
        )}
        {mode === 'custom' && (
          <div className="flex flex-col gap-2 sm:flex-row">
            <select className="select sm:w-32" name="kind" aria-label="Schedule kind" defaultValue="cron">
              <option value="cron">cron</option>
              <option value="rrule">RRULE</option>
            </select>
            <label className="input flex-1">
              <span className="sr-only">Schedule</span>
              <input name="spec" required placeholder="0 30 8 * * MON-FRI   or   FREQ=WEEKLY;BYDAY=SA;BYHOUR=10" />
            </label>
          </div>
        )}
        <p className="text-xs opacity-70">
          Times are in {zone} (<Link className="link" href="/settings">change</Link>).
        </p>
        {error && (
          <p role="alert" className="text-sm text-error">
            {error}
          </p>
        )}
        <button className="btn btn-primary" type="submit" disabled={busy}>
          Create reminder
        </button>
      </div>
    </form>
  );
}

export function Reminders({ initial, zone }: { initial: Task[]; zone: string }) {
  const [tasks, setTasks] = useState(initial);
  const [error, setError] = useState<string | null>(null);
  const [flash, setFlash] = useState<string | null>(null);

  async function act(task: Task, action: TaskAction) {
    setError(null);
    setFlash(null);
    try {
      if (action === 'delete') {
        if (!window.confirm(`Delete “${task.name}”?`)) return;
        await api(`/cron/v1/tasks/${task.id}`, { method: 'DELETE' });
        setTasks((t) => t.filter((x) => x.id !== task.id));
        return;
      }
      const result = await api<Task | unknown>(`/cron/v1/tasks/${task.id}/${action}`, { method: 'POST' });
      if (action === 'run') setFlash(`“${task.name}” runs now.`);
      else if (result && typeof result === 'object' && 'id' in result) setTasks((t) => t.map((x) => (x.id === task.id ? (result as Task) : x)));
    } catch (e) {
      setError((e as Error).message);
    }
  }

  return (
    <div className="space-y-4">
      <Builder zone={zone} onCreated={(t) => setTasks((list) => [t, ...list])} />
      {error && (
        <div role="alert" className="alert alert-error alert-soft">
          {error}
        </div>
      )}
      {flash && (
        <div role="status" className="alert alert-success alert-soft">
          {flash}
        </div>
      )}
      <ul className="space-y-2" aria-label="Reminders">
        {tasks.map((t) => (
          <ReminderCard
            key={t.id}
            task={t}
            onAction={(action) => void act(t, action)}
            history={
              <Link className="btn btn-xs" href={`/reminders/${t.id}`}>
                History
              </Link>
            }
          />
        ))}
      </ul>
      {tasks.length === 0 && <p className="opacity-70">No reminders yet.</p>}
    </div>
  );
}
