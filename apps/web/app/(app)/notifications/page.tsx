import { unstable_rethrow } from 'next/navigation';

import { Waiting } from '@/components/actions/waiting';
import { Centre } from '@/components/notifications/centre';
import { PageHeader } from '@/components/page-header';
import type { Action } from '@/lib/actions';
import { serviceJson } from '@/lib/server/session';
import type { Notification } from '@/lib/types';

export const metadata = { title: 'Notifications' };

export default async function NotificationsPage() {
  const [{ notifications }, { actions }] = await Promise.all([
    serviceJson<{ notifications: Notification[] }>('cron', '/v1/notifications?limit=100', '/notifications'),
    // What waits for the person's yes (agents): its being unreachable must not hide the notifications.
    serviceJson<{ actions: Action[] }>('agents', '/v1/actions', '/notifications').catch((error: unknown) => {
      unstable_rethrow(error);
      return { actions: [] as Action[] };
    }),
  ]);
  return (
    <>
      <PageHeader title="Notifications" />
      <div className="mx-auto w-full max-w-3xl space-y-6 p-4">
        <Waiting initial={actions} />
        <Centre initial={notifications} />
      </div>
    </>
  );
}
