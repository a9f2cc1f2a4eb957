// Posey's service worker: shows the Web Push notifications cron sends (a reminder reaches a
// closed tab) and opens what a notification is about when it is clicked.

self.addEventListener('push', (event) => {
  let message = {};
  try {
    message = event.data ? event.data.json() : {};
  } catch {
    message = { title: 'Posey', body: event.data ? event.data.text() : '' };
  }
  const data = message.data || {};
  // As lib/notifications.ts's linkOf: a conversation, a calendar alarm's day, else the list.
  let url = '/notifications';
  if (typeof data.conversation_id === 'string') {
    url = `/chat/${encodeURIComponent(data.conversation_id)}`;
  } else if (data.kind === 'calendar_alarm' && typeof data.link === 'string' && /^\/calendar(\?[\w=&%.-]*)?$/.test(data.link)) {
    url = data.link;
  }
  event.waitUntil(
    self.registration.showNotification(message.title || 'Posey', {
      body: message.body || '',
      tag: message.id,
      icon: '/icon.svg',
      data: { url },
    }),
  );
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const url = (event.notification.data && event.notification.data.url) || '/notifications';
  event.waitUntil(
    self.clients.matchAll({ type: 'window', includeUncontrolled: true }).then((windows) => {
      const open = windows.find((w) => new URL(w.url).origin === self.location.origin);
      if (open) return open.navigate(url).then((w) => w && w.focus());
      return self.clients.openWindow(url);
    }),
  );
});
