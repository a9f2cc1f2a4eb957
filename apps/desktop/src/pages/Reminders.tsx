// Reminders: the quick "remind me" line (read here, shown before it is sent) and the person's
// reminders at cron, soonest first, on the web app's cards (@posey/ui: pause, resume, run now,
// delete). When one falls due, cron's notification arrives as a native notification (the
// bridge follows cron's stream).

import { type CronComponents, deviceTimeZone, parseReminder, reminderTask } from '@posey/sdk';
import { ReminderCard, type TaskAction } from '@posey/ui';
import { type FormEvent, useCallback, useState } from 'react';

import { api, message } from '../bridge';
import { Empty, ErrorText, Page } from '../ui';
import { useLoad } from '../useLoad';

type Task = CronComponents['schemas']['TaskView'];

const soonest = (a: Task, b: Task) => (a.next_run_at ?? '9999').localeCompare(b.next_run_at ?? '9999');

export function Reminders() {
  const [line, setLine] = useState('');
  const [busy, setBusy] = useState(false);
  const [flash, setFlash] = useState<string | null>(null);
  const tasks = useLoad(useCallback(async () => {
    const { tasks: list } = await api<{ tasks: Task[] }>('cron', 'GET', '/v1/tasks');
    return list.filter((t) => t.kind === 'reminder').sort(soonest);
  }, []));

  let preview: string | null = null;
  if (line.trim()) {
    try {
      const parsed = parseReminder(line);
      preview = `“${parsed.title}” on ${parsed.at.toLocaleString()}`;
    } catch (e) {
      preview = message(e);
    }
  }

  async function create(e: FormEvent) {
    e.preventDefault();
    tasks.setError(null);
    setBusy(true);
    try {
      const task = await api<Task>('cron', 'POST', '/v1/tasks', reminderTask(parseReminder(line), deviceTimeZone()));
      setLine('');
      tasks.setData((t = []) => [...t.filter((x) => x.id !== task.id), task].sort(soonest));
    } catch (err) {
      tasks.setError(message(err));
    } finally {
      setBusy(false);
    }
  }

  async function act(task: Task, action: TaskAction) {
    tasks.setError(null);
    setFlash(null);
    try {
      if (action === 'delete') {
        if (!window.confirm(`Delete “${task.name}”?`)) return;
        await api('cron', 'DELETE', `/v1/tasks/${encodeURIComponent(task.id)}`);
        tasks.setData((t = []) => t.filter((x) => x.id !== task.id));
        return;
      }
      const result = await api<unknown>('cron', 'POST', `/v1/tasks/${encodeURIComponent(task.id)}/${action}`);
      if (action === 'run') setFlash(`“${task.name}” runs now.`);
      else if (result && typeof result === 'object' && 'id' in result) tasks.setData((t = []) => t.map((x) => (x.id === task.id ? (result as Task) : x)));
    } catch (err) {
      tasks.setError(message(err));
    }
  }

  return (
    <Page title="Reminders">
      <form onSubmit={(e) => void create(e)} className="flex flex-col gap-2">
        <div className="flex gap-2">
          <input name="remind" aria-label="Remind me" className="input flex-1" placeholder="in 10 minutes call Ada" value={line} onChange={(e) => setLine(e.target.value)} />
          <button type="submit" className="btn btn-primary" disabled={busy || !line.trim()}>Add reminder</button>
        </div>
        {preview && <p className="text-sm text-base-content/70">{preview}</p>}
      </form>
      <ErrorText error={tasks.error} />
      {flash && <div role="status" className="alert alert-success alert-soft text-sm">{flash}</div>}
      {tasks.data?.length === 0 && <Empty>No reminders.</Empty>}
      <ul className="flex flex-col gap-2" aria-label="Reminders">
        {(tasks.data ?? []).map((t) => (
          <ReminderCard key={t.id} task={t} onAction={(action) => void act(t, action)} />
        ))}
      </ul>
    </Page>
  );
}
