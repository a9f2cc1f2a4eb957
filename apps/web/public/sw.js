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
  const url = typeof data.conversation_id === 'string' ? `/chat/${encodeURIComponent(data.conversation_id)}` : '/notifications';
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
