import { unstable_rethrow } from 'next/navigation';

import { Nav } from '@/components/nav';
import { serviceJson } from '@/lib/server/session';
import type { Notification } from '@/lib/types';

export default async function AppLayout({ children }: { children: React.ReactNode }) {
  const unread = await serviceJson<{ notifications: Notification[] }>('cron', '/v1/notifications?unread=true&limit=100')
    .then((r) => r.notifications.length)
    .catch((error: unknown) => {
      // A redirect (the session ended) must go through; a service being down must not hide the app.
      unstable_rethrow(error);
      return 0;
    });
  return (
    <div className="flex min-h-dvh">
      <Nav unread={unread} />
      <main className="flex min-w-0 flex-1 flex-col pb-16 md:pb-0">{children}</main>
    </div>
  );
}
