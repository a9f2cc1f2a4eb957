// A reminder's card as both apps show it: its schedule in words, paused or not, and the
// actions it offers (what they do is the app's).

import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';

import { ReminderCard, type ShownTask } from '../src/reminder-card';

const task = (over: Partial<ShownTask> = {}): ShownTask => ({
  id: 't1',
  name: 'Stretch your legs',
  kind: 'reminder',
  schedule: { kind: 'cron', spec: '0 30 9 * * MON-FRI' },
  time_zone: 'Europe/Berlin',
  next_run_at: '2026-12-07T08:30:00Z',
  paused: false,
  ...over,
});

const card = (t: ShownTask, history: unknown = null) =>
  renderToStaticMarkup(createElement(ReminderCard, { task: t, onAction: () => undefined, history } as Parameters<typeof ReminderCard>[0]));
const buttons = (html: string) => [...html.matchAll(/<button[^>]*>([^<]*)<\/button>/g)].map((m) => m[1]);

describe('the reminder card', () => {
  it('says when it repeats, in which zone, and offers pause, run now and delete', () => {
    const html = card(task(), createElement('a', { href: '/reminders/t1' }, 'History'));
    expect(html).toContain('weekdays at 09:30 · Europe/Berlin');
    expect(buttons(html)).toEqual(['Pause', 'Run now', 'Delete']);
    expect(html).toContain('<a href="/reminders/t1">History</a>');
    expect(html).not.toContain('paused</span>');
  });

  it('shows a paused one as paused, with Resume', () => {
    const html = card(task({ paused: true }));
    expect(html).toContain('badge-warning">paused</span>');
    expect(html).toContain('Next: paused');
    expect(buttons(html)[0]).toBe('Resume');
  });
});
