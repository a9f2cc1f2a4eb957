// A notification's card as both apps show it: read or not, its link, its text never markup.

import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';

import { NotificationCard, type ShownNotification } from '../src/notification-card';

const notification = (over: Partial<ShownNotification> = {}): ShownNotification => ({
  id: 'n1',
  title: 'Reminder: stretch your legs',
  body: 'It is 15:00.',
  created_at: '2026-12-05T15:00:00Z',
  read_at: null,
  ...over,
});

const card = (n: ShownNotification, extra: { onRead?: () => void; link?: unknown } = {}) =>
  renderToStaticMarkup(createElement(NotificationCard, { notification: n, ...extra } as Parameters<typeof NotificationCard>[0]));

describe('the notification card', () => {
  it('marks an unread one and offers Mark read', () => {
    const html = card(notification(), { onRead: () => undefined });
    expect(html).toContain('border-primary');
    expect(html).toContain('aria-label="Mark “Reminder: stretch your legs” read"');
    expect(html).toContain('It is 15:00.');
    expect(html).toContain('dateTime="2026-12-05T15:00:00Z"');
  });

  it('has no Mark read once read, or where the app cannot mark it', () => {
    expect(card(notification({ read_at: '2026-12-05T15:01:00Z' }), { onRead: () => undefined })).not.toContain('Mark read');
    expect(card(notification())).not.toContain('Mark read');
  });

  it('shows the app’s link, and the text as text', () => {
    const link = createElement('a', { href: '/reminders/r1' }, 'the reminder');
    expect(card(notification(), { link })).toContain(' · <a href="/reminders/r1">the reminder</a>');
    const html = card(notification({ title: '<img src=x onerror=alert(1)>', body: null }));
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;img');
  });
});
