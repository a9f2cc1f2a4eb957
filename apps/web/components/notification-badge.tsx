'use client';
// The unread count beside "Alerts", kept live by the notification stream (through the BFF).

import { useEffect, useState } from 'react';

export const NOTIFICATION_EVENT = 'posey:notification';
export const READ_EVENT = 'posey:notifications-read';

/** One EventSource per page, shared by whoever listens for `posey:notification` on window. */
let source: EventSource | null = null;
let listeners = 0;

export function subscribeNotifications(): () => void {
  listeners += 1;
  if (!source) {
    source = new EventSource('/api/cron/v1/notifications/stream');
    source.addEventListener('notification', (event) => {
      window.dispatchEvent(new CustomEvent(NOTIFICATION_EVENT, { detail: JSON.parse((event as MessageEvent<string>).data) }));
    });
  }
  return () => {
    listeners -= 1;
    if (listeners === 0 && source) {
      source.close();
      source = null;
    }
  };
}

export function NotificationBadge({ initial, compact = false }: { initial: number; compact?: boolean }) {
  const [count, setCount] = useState(initial);
  useEffect(() => {
    const unsubscribe = subscribeNotifications();
    const onNew = () => setCount((c) => c + 1);
    const onRead = (e: Event) => setCount((e as CustomEvent<number>).detail);
    window.addEventListener(NOTIFICATION_EVENT, onNew);
    window.addEventListener(READ_EVENT, onRead);
    return () => {
      unsubscribe();
      window.removeEventListener(NOTIFICATION_EVENT, onNew);
      window.removeEventListener(READ_EVENT, onRead);
    };
  }, []);
  if (count <= 0) return null;
  const label = `${count} unread`;
  return compact ? (
    <span className="indicator-item badge badge-xs badge-primary" aria-label={label}>
      {count}
    </span>
  ) : (
    <span className="badge badge-sm badge-primary" aria-label={label}>
      {count}
    </span>
  );
}
