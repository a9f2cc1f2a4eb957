import { PageHeader } from '@/components/page-header';
import { Reminders } from '@/components/reminders/reminders';
import { serviceJson } from '@/lib/server/session';
import type { Profile, Task } from '@/lib/types';

export const metadata = { title: 'Reminders' };

export default async function RemindersPage() {
  const [{ tasks }, profile] = await Promise.all([
    serviceJson<{ tasks: Task[] }>('cron', '/v1/tasks?limit=200', '/reminders'),
    serviceJson<Profile>('agents', '/v1/profile', '/reminders'),
  ]);
  return (
    <>
      <PageHeader title="Reminders" />
      <div className="mx-auto w-full max-w-3xl p-4">
        <Reminders initial={tasks} zone={profile.time_zone} />
      </div>
    </>
  );
}
