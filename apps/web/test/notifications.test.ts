import { describe, expect, it } from 'vitest';

import { linkOf } from '@/lib/notifications';

describe('where a notification leads', () => {
  it('opens an agent task’s conversation', () => {
    expect(linkOf({ conversation_id: 'a b' })).toEqual({ href: '/chat/a%20b', label: 'open the conversation' });
  });

  it('opens a calendar alarm’s day', () => {
    expect(linkOf({ kind: 'calendar_alarm', link: '/calendar?date=2026-12-06' })).toEqual({
      href: '/calendar?date=2026-12-06',
      label: 'open the calendar',
    });
  });

  it('never leads off the calendar or off-site', () => {
    for (const link of ['//evil.example/calendar', 'https://evil.example', '/calendar/../settings', 'javascript:alert(1)', '/calendarx']) {
      expect(linkOf({ kind: 'calendar_alarm', link })).toBeNull();
    }
    expect(linkOf({ link: '/calendar' })).toBeNull();
    expect(linkOf(null)).toBeNull();
  });
});
