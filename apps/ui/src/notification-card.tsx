// One notification cron delivered in-app: its title (bold until read), Mark read while unread,
// its body, when it came, and where it leads (the app's link, if any).

import type { ReactNode } from 'react';

/** What a card shows of cron's `NotificationView`. */
export interface ShownNotification {
  id: string;
  title: string;
  body?: string | null;
  created_at: string;
  read_at?: string | null;
}

export function NotificationCard({ notification: n, onRead, link = null }: { notification: ShownNotification; onRead?: () => void; link?: ReactNode }) {
  return (
    <li className={`card card-sm shadow-sm ${n.read_at ? 'bg-base-100 opacity-80' : 'border-l-4 border-primary bg-base-100'}`} data-testid="notification">
      <div className="card-body gap-1">
        <div className="flex items-center gap-2">
          <span className={`flex-1 ${n.read_at ? 'font-medium' : 'font-semibold'}`}>{n.title}</span>
          {!n.read_at && onRead && (
            <button className="btn btn-ghost btn-xs" type="button" onClick={onRead} aria-label={`Mark “${n.title}” read`}>
              Mark read
            </button>
          )}
        </div>
        {n.body && <p className="whitespace-pre-wrap text-sm">{n.body}</p>}
        <p className="text-xs opacity-70">
          <time dateTime={n.created_at} suppressHydrationWarning>
            {new Date(n.created_at).toLocaleString()}
          </time>
          {link && (
            <>
              {' · '}
              {link}
            </>
          )}
        </p>
      </div>
    </li>
  );
}
