// A reminder's runs: when each was due, how it went.

import Link from 'next/link';
import { notFound } from 'next/navigation';

import { PageHeader } from '@/components/page-header';
import { describeSchedule, inZone } from '@posey/ui';
import { ServiceError, serviceJson } from '@/lib/server/session';
import type { Run, Task } from '@/lib/types';

export const metadata = { title: 'Reminder history' };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export default async function ReminderHistory({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  if (!UUID.test(id)) notFound();
  const here = `/reminders/${id}`;
  let task: Task;
  let runs: Run[];
  try {
    [task, { runs }] = await Promise.all([
      serviceJson<Task>('cron', `/v1/tasks/${id}`, here),
      serviceJson<{ runs: Run[] }>('cron', `/v1/tasks/${id}/runs?limit=100`, here),
    ]);
  } catch (error) {
    if (error instanceof ServiceError && error.status === 404) notFound();
    throw error;
  }
  return (
    <>
      <PageHeader title={task.name}>
        <Link className="btn btn-sm" href="/reminders">
          All reminders
        </Link>
      </PageHeader>
      <div className="mx-auto w-full max-w-3xl space-y-3 p-4">
        <p className="text-sm opacity-80">
          {describeSchedule(task.schedule.kind, task.schedule.spec, task.time_zone)} · {task.time_zone} · next {task.paused ? 'paused' : inZone(task.next_run_at, task.time_zone)}
        </p>
        <div className="overflow-x-auto rounded-box bg-base-100">
          <table className="table table-sm">
            <caption className="sr-only">Runs</caption>
            <thead>
              <tr>
                <th scope="col">Due</th>
                <th scope="col">Status</th>
                <th scope="col">Took</th>
                <th scope="col">Error</th>
              </tr>
            </thead>
            <tbody>
              {runs.map((r) => (
                <tr key={r.id}>
                  <td>{inZone(r.scheduled_for, task.time_zone)}</td>
                  <td>{r.status}</td>
                  <td>{r.duration_ms === null ? '—' : `${r.duration_ms} ms`}</td>
                  <td className="text-error">{r.error ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {runs.length === 0 && <p className="p-4 opacity-70">No runs yet.</p>}
        </div>
      </div>
    </>
  );
}
