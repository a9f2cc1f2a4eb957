import { Centre } from '@/components/notifications/centre';
import { PageHeader } from '@/components/page-header';
import { serviceJson } from '@/lib/server/session';
import type { Notification } from '@/lib/types';

export const metadata = { title: 'Notifications' };

export default async function NotificationsPage() {
  const { notifications } = await serviceJson<{ notifications: Notification[] }>('cron', '/v1/notifications?limit=100', '/notifications');
  return (
    <>
      <PageHeader title="Notifications" />
      <div className="mx-auto w-full max-w-3xl p-4">
        <Centre initial={notifications} />
      </div>
    </>
  );
}
