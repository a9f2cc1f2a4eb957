// One of the person's reminders (a cron task): its name, paused or not, its schedule in words
// and zone, when it runs next, and Pause / Resume, Run now, its history (the app's link) and
// Delete. The app carries out what is asked.

import type { ReactNode } from 'react';

import { describeSchedule, inZone } from './schedule';

/** A task as cron's `/v1/tasks` gives it. */
export interface ShownTask {
  id: string;
  name: string;
  kind: string;
  schedule: { kind: string; spec: string };
  time_zone: string;
  next_run_at?: string | null;
  paused: boolean;
}

export type TaskAction = 'pause' | 'resume' | 'run' | 'delete';

export function ReminderCard({ task: t, onAction, history = null }: { task: ShownTask; onAction: (action: TaskAction) => void; history?: ReactNode }) {
  return (
    <li className="card card-sm bg-base-100 shadow-sm" data-testid="reminder">
      <div className="card-body gap-1">
        <div className="flex flex-wrap items-center gap-2">
          <span className="flex-1 font-medium">{t.name}</span>
          {t.paused && <span className="badge badge-sm badge-warning">paused</span>}
          {t.kind !== 'reminder' && <span className="badge badge-sm badge-outline">{t.kind.replace('_', ' ')}</span>}
        </div>
        <p className="text-sm opacity-80">
          {describeSchedule(t.schedule.kind, t.schedule.spec, t.time_zone)} · {t.time_zone}
        </p>
        <p className="text-xs opacity-70">Next: {t.paused ? 'paused' : inZone(t.next_run_at ?? null, t.time_zone)}</p>
        <div className="flex flex-wrap gap-1">
          <button className="btn btn-xs" type="button" onClick={() => onAction(t.paused ? 'resume' : 'pause')}>
            {t.paused ? 'Resume' : 'Pause'}
          </button>
          <button className="btn btn-xs" type="button" onClick={() => onAction('run')}>
            Run now
          </button>
          {history}
          <button className="btn btn-ghost btn-xs text-error" type="button" onClick={() => onAction('delete')} aria-label={`Delete ${t.name}`}>
            Delete
          </button>
        </div>
      </div>
    </li>
  );
}
