// Where a notification leads in the app: an agent task's answer to its conversation, a
// calendar alarm to its day in the calendar. The service worker (public/sw.js) follows the
// same rules for a Web Push notification that is clicked.

export type NotificationLink = { href: string; label: string };

export function linkOf(data: Record<string, unknown> | null | undefined): NotificationLink | null {
  if (!data) return null;
  if (typeof data.conversation_id === 'string') {
    return { href: `/chat/${encodeURIComponent(data.conversation_id)}`, label: 'open the conversation' };
  }
  // Only a path of the calendar's own: a notification's data comes from a service, but it is
  // never allowed to send the person off-site.
  if (data.kind === 'calendar_alarm' && typeof data.link === 'string' && /^\/calendar(\?[\w=&%.-]*)?$/.test(data.link)) {
    return { href: data.link, label: 'open the calendar' };
  }
  return null;
}
