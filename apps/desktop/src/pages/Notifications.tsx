// Notifications: what cron delivered in-app (reminders when they fall due, among others),
// newest first, on the web app's cards (@posey/ui); new ones arrive live from the bridge, which
// also shows them natively.

import type { CronComponents } from '@posey/sdk';
import { NotificationCard } from '@posey/ui';
import { useCallback, useEffect } from 'react';

import { api, message, onNotification } from '../bridge';
import { Empty, ErrorText, Page } from '../ui';
import { useLoad } from '../useLoad';

type Notification = CronComponents['schemas']['NotificationView'];

export function Notifications() {
  const items = useLoad(useCallback(async () => (await api<{ notifications: Notification[] }>('cron', 'GET', '/v1/notifications')).notifications, []));
  const { reload } = items;

  useEffect(() => onNotification(() => reload()), [reload]);

  async function markRead(id: string) {
    try {
      const read = await api<Notification>('cron', 'POST', `/v1/notifications/${encodeURIComponent(id)}/read`);
      items.setData((list = []) => list.map((n) => (n.id === id ? read : n)));
    } catch (e) {
      items.setError(message(e));
    }
  }

  async function readAll() {
    try {
      await api('cron', 'POST', '/v1/notifications/read-all');
      reload();
    } catch (e) {
      items.setError(message(e));
    }
  }

  return (
    <Page title="Notifications" actions={<button className="btn btn-sm" onClick={() => void readAll()}>Mark all read</button>}>
      <ErrorText error={items.error} />
      {items.data?.length === 0 && <Empty>Nothing yet.</Empty>}
      <ul className="flex flex-col gap-2" aria-label="Notifications">
        {(items.data ?? []).map((n) => (
          <NotificationCard key={n.id} notification={n} onRead={() => void markRead(n.id)} />
        ))}
      </ul>
    </Page>
  );
}
