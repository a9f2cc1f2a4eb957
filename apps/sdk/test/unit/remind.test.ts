// The quick "remind me" composer's reading of plain words, and the task it sends cron.

import { describe, expect, it } from 'vitest';

import { parseReminder, reminderTask } from '../../src/index.js';

// A Monday, 14:05 local time.
const now = new Date(2027, 2, 1, 14, 5, 0);

describe('parseReminder', () => {
  it('reads "in N units" anywhere in the line', () => {
    const r = parseReminder('remind me in 10 minutes to call Ada', now);
    expect(r.title).toBe('call Ada');
    expect(r.at.getTime() - now.getTime()).toBe(10 * 60_000);
    expect(parseReminder('stretch in 2 hours', now).at.getTime() - now.getTime()).toBe(2 * 3_600_000);
    expect(parseReminder('in an hour take the bread out', now).title).toBe('take the bread out');
    expect(parseReminder('water plants in 3 days', now).at.getDate()).toBe(4);
  });

  it('reads a clock time today, or tomorrow once it has passed', () => {
    const later = parseReminder('at 17:30 water the plants', now);
    expect([later.at.getDate(), later.at.getHours(), later.at.getMinutes()]).toEqual([1, 17, 30]);
    expect(later.title).toBe('water the plants');
    const passed = parseReminder('at 9 stand-up', now);
    expect([passed.at.getDate(), passed.at.getHours()]).toEqual([2, 9]);
    const pm = parseReminder('call the bank at 4pm', now);
    expect([pm.at.getDate(), pm.at.getHours(), pm.title]).toEqual([1, 16, 'call the bank']);
  });

  it('reads "tomorrow", with or without a time', () => {
    const t = parseReminder('tomorrow at 9:30 dentist', now);
    expect([t.at.getDate(), t.at.getHours(), t.at.getMinutes(), t.title]).toEqual([2, 9, 30, 'dentist']);
    const morning = parseReminder('tomorrow bins out', now);
    expect([morning.at.getDate(), morning.at.getHours(), morning.title]).toEqual([2, 9, 'bins out']);
  });

  it('says what is missing rather than guessing', () => {
    expect(() => parseReminder('call Ada', now)).toThrow(/Say when/);
    expect(() => parseReminder('in 10 minutes', now)).toThrow(/what to remind/);
    expect(() => parseReminder('at 25:00 nap', now)).toThrow(/Say when/);
    expect(() => parseReminder('today at 9 stand-up', now)).toThrow(/passed/);
  });
});

describe('reminderTask', () => {
  it('is a one-off reminder at the instant, in the given zone', () => {
    const at = new Date(Date.UTC(2027, 2, 1, 16, 30));
    expect(reminderTask({ title: 'call Ada', at }, 'Europe/Berlin')).toEqual({
      name: 'call Ada',
      kind: 'reminder',
      payload: { title: 'call Ada' },
      schedule: { kind: 'once', spec: '2027-03-01T16:30:00.000Z' },
      time_zone: 'Europe/Berlin',
    });
  });
});
