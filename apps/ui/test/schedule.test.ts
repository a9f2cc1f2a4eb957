// The reminder builder's schedules: the choices made into cron specs, and specs back into words.

import { describe, expect, it } from 'vitest';

import { cronSpec, describeSchedule } from '../src/schedule';

describe('reminder schedules', () => {
  it('turns the builder’s choices into cron specs and back into words', () => {
    expect(cronSpec('daily', '07:05')).toBe('0 5 7 * * *');
    expect(cronSpec('weekdays', '9:30')).toBe('0 30 9 * * MON-FRI');
    expect(cronSpec('weekly', '18:00', ['SUN', 'MON'])).toBe('0 0 18 * * MON,SUN');
    expect(cronSpec('monthly', '08:00', [], 15)).toBe('0 0 8 15 * *');
    expect(() => cronSpec('weekly', '18:00', [])).toThrow(/at least one day/);
    expect(() => cronSpec('daily', '25:00')).toThrow(/time/);
    expect(describeSchedule('cron', '0 30 9 * * MON-FRI')).toBe('weekdays at 09:30');
    expect(describeSchedule('cron', '0 0 18 * * MON,SUN')).toBe('every Mon, Sun at 18:00');
    expect(describeSchedule('once', '2027-01-02T09:00')).toBe('once, 2027-01-02 09:00');
    expect(describeSchedule('cron', '*/5 * * * * *')).toBe('cron: */5 * * * * *');
  });

  it('shows a one-off instant (as the remind-me line sends it) in the task’s zone', () => {
    const inBerlin = describeSchedule('once', '2026-12-07T11:44:15.683Z', 'Europe/Berlin');
    expect(inBerlin).toMatch(/^once, /);
    expect(inBerlin).toContain('12:44');
    expect(inBerlin).not.toContain('Z');
    expect(describeSchedule('once', '2026-12-07T11:44:15+01:00', 'UTC')).toContain('10:44');
  });
});
