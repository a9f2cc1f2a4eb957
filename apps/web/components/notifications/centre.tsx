'use client';
// The notification centre: what cron delivered, with new ones arriving live over the
// notification stream (server-sent events through the BFF), marked read one by one or all at once.

import { NotificationCard } from '@posey/ui';
import Link from 'next/link';
import { useEffect, useState } from 'react';

import { api } from '@/lib/client/api';
import { linkOf } from '@/lib/notifications';
import type { Notification } from '@/lib/types';

import { NOTIFICATION_EVENT, READ_EVENT, subscribeNotifications } from '../notification-badge';
import { PushToggle } from './push-toggle';

export function Centre({ initial }: { initial: Notification[] }) {
  const [items, setItems] = useState(initial);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const unsubscribe = subscribeNotifications();
    const onNew = (e: Event) => {
      const n = (e as CustomEvent<Notification>).detail;
      setItems((list) => (list.some((x) => x.id === n.id) ? list : [n, ...list]));
    };
    window.addEventListener(NOTIFICATION_EVENT, onNew);
    return () => {
      unsubscribe();
      window.removeEventListener(NOTIFICATION_EVENT, onNew);
    };
  }, []);

  useEffect(() => {
    window.dispatchEvent(new CustomEvent(READ_EVENT, { detail: items.filter((n) => !n.read_at).length }));
  }, [items]);

  async function markRead(n: Notification) {
    try {
      const updated = await api<Notification>(`/cron/v1/notifications/${n.id}/read`, { method: 'POST' });
      setItems((list) => list.map((x) => (x.id === n.id ? updated : x)));
    } catch (e) {
      setError((e as Error).message);
    }
  }

  async function readAll() {
    try {
      await api('/cron/v1/notifications/read-all', { method: 'POST' });
      const now = new Date().toISOString();
      setItems((list) => list.map((x) => ({ ...x, read_at: x.read_at ?? now })));
    } catch (e) {
      setError((e as Error).message);
    }
  }

  return (
    <div className="space-y-3">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <PushToggle />
        <button className="btn btn-sm" type="button" onClick={() => void readAll()} disabled={!items.some((n) => !n.read_at)}>
          Mark all read
        </button>
      </div>
      {error && (
        <div role="alert" className="alert alert-error alert-soft">
          {error}
        </div>
      )}
      <ul className="space-y-2" aria-label="Notifications" aria-live="polite">
        {items.map((n) => {
          const link = linkOf(n.data);
          return (
            <NotificationCard
              key={n.id}
              notification={n}
              onRead={() => void markRead(n)}
              link={
                link && (
                  <Link className="link" href={link.href}>
                    {link.label}
                  </Link>
                )
              }
            />
          );
        })}
      </ul>
      {items.length === 0 && <p className="opacity-70">Nothing yet. Reminders arrive here as they fire.</p>}
    </div>
  );
}
