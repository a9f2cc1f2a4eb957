// The calendar page's pure parts: dates, instants read in a zone (across DST and midnight), the
// views' windows, events placed in week columns and month cells, and alarms in words.

import { describe, expect, it } from 'vitest';

import {
  addMonths,
  alarmLabel,
  dateLabel,
  eventPath,
  feedUrl,
  offsetMinutes,
  parseView,
  placeByDay,
  spanOf,
  step,
  timeLabel,
  viewDays,
  viewTitle,
  wallTime,
  windowOf,
  zonedInstant,
} from '@/lib/calendar';
import type { Occurrence } from '@/lib/types';

function occ(start: Occurrence['start'], end: Occurrence['end'], extra: Partial<Occurrence> = {}): Occurrence {
  return {
    event_id: 'e1',
    calendar_id: 'c1',
    uid: 'u1@posey',
    occurrence: null,
    recurring: false,
    summary: 'Thing',
    description: null,
    location: null,
    start,
    end,
    all_day: !!start.date,
    status: null,
    categories: [],
    transparent: false,
    alarms: [],
    etag: '"1"',
    ...extra,
  };
}
const at = (iso: string) => ({ date_time: iso.slice(0, 19), at: iso });

describe('dates', () => {
  it('add months within the month', () => {
    expect(addMonths('2027-01-31', 1)).toBe('2027-02-28');
    expect(addMonths('2028-01-31', 1)).toBe('2028-02-29');
    expect(addMonths('2027-12-15', 1)).toBe('2028-01-15');
    expect(addMonths('2027-01-15', -1)).toBe('2026-12-15');
  });

  it('write dates in words without the machine’s zone', () => {
    expect(dateLabel('2027-03-02', 'long')).toBe('Tuesday 2 March 2027');
    expect(dateLabel('2027-03-02', 'short')).toBe('Tue 2 Mar');
  });
});

describe('zones', () => {
  it('read an instant as wall-clock time in the person’s zone', () => {
    expect(wallTime('2027-03-02T17:00:00Z', 'Europe/Paris')).toEqual({ date: '2027-03-02', minutes: 18 * 60 });
    expect(wallTime('2027-03-02T23:30:00Z', 'Europe/Paris')).toEqual({ date: '2027-03-03', minutes: 30 });
    expect(wallTime('2027-03-03T03:00:00Z', 'America/New_York')).toEqual({ date: '2027-03-02', minutes: 22 * 60 });
    expect(wallTime('2027-03-02T00:00:00Z', 'UTC')).toEqual({ date: '2027-03-02', minutes: 0 });
  });

  it('find the instant of a wall-clock time, across DST', () => {
    // Paris: +1 in winter, +2 from 28 March 2027 at 02:00 (which skips to 03:00).
    expect(zonedInstant('2027-03-27', 0, 'Europe/Paris').toISOString()).toBe('2027-03-26T23:00:00.000Z');
    expect(zonedInstant('2027-03-29', 0, 'Europe/Paris').toISOString()).toBe('2027-03-28T22:00:00.000Z');
    // 02:30 does not exist that night: it lands after the gap, at 03:30 summer time.
    expect(zonedInstant('2027-03-28', 150, 'Europe/Paris').toISOString()).toBe('2027-03-28T01:30:00.000Z');
    // 02:30 on 31 October 2027 happens twice: the first one (summer time).
    expect(zonedInstant('2027-10-31', 150, 'Europe/Paris').toISOString()).toBe('2027-10-31T00:30:00.000Z');
    // Santiago's clocks skip midnight in September: that day starts at 01:00.
    expect(zonedInstant('2026-09-06', 0, 'America/Santiago').toISOString()).toBe('2026-09-06T04:00:00.000Z');
  });

  it('make each view’s window from the zone’s midnights, 23- and 25-hour days included', () => {
    const week = windowOf('week', '2027-03-24', 'Europe/Paris');
    expect(week.days).toEqual(['2027-03-22', '2027-03-23', '2027-03-24', '2027-03-25', '2027-03-26', '2027-03-27', '2027-03-28']);
    expect(week.from).toBe('2027-03-21T23:00:00.000Z');
    expect(week.to).toBe('2027-03-28T22:00:00.000Z');
    const agenda = windowOf('agenda', '2027-03-02', 'Asia/Tokyo');
    expect(agenda.days).toHaveLength(14);
    expect(agenda.from).toBe('2027-03-01T15:00:00.000Z');
    expect(agenda.to).toBe('2027-03-15T15:00:00.000Z');
  });
});

describe('views', () => {
  it('read ?view and ?date, falling back to the agenda from today', () => {
    expect(parseView({ view: 'week', date: '2027-03-02' }, '2027-01-01')).toEqual({ view: 'week', date: '2027-03-02' });
    expect(parseView({ view: 'year', date: '2027-02-30' }, '2027-01-01')).toEqual({ view: 'agenda', date: '2027-01-01' });
    expect(parseView({ view: ['month', 'week'] }, '2027-01-01')).toEqual({ view: 'month', date: '2027-01-01' });
  });

  it('show whole weeks from Monday for a month', () => {
    const days = viewDays('month', '2027-03-17');
    expect(days[0]).toBe('2027-03-01');
    expect(days[days.length - 1]).toBe('2027-04-04');
    expect(days).toHaveLength(35);
    const feb = viewDays('month', '2027-02-10');
    expect([feb[0], feb[feb.length - 1], feb.length]).toEqual(['2027-02-01', '2027-02-28', 28]);
    const aug = viewDays('month', '2027-08-01');
    expect([aug[0], aug[aug.length - 1], aug.length]).toEqual(['2027-07-26', '2027-09-05', 42]);
  });

  it('step back and forth and name what they show', () => {
    expect(step('week', '2027-03-03', 1)).toBe('2027-03-08');
    expect(step('month', '2027-03-31', -1)).toBe('2027-02-01');
    expect(step('agenda', '2027-03-02', 1)).toBe('2027-03-16');
    expect(viewTitle('month', '2027-03-02')).toBe('March 2027');
    expect(viewTitle('week', '2027-03-03')).toBe('1 – 7 March 2027');
    expect(viewTitle('week', '2027-03-31')).toBe('29 March – 4 April 2027');
    expect(viewTitle('week', '2027-12-29')).toBe('27 December 2027 – 2 January 2028');
  });
});

describe('placing events', () => {
  const days = viewDays('week', '2027-03-22'); // Mon 22 – Sun 28 March 2027

  it('puts a timed event at its wall-clock time in the person’s zone', () => {
    const o = occ(at('2027-03-23T17:00:00Z'), at('2027-03-23T18:30:00Z'));
    const placed = placeByDay([o], days, 'Europe/Paris');
    expect(placed.get('2027-03-23')).toMatchObject([{ top: 18 * 60, bottom: 19 * 60 + 30, allDay: false }]);
    // The same instants seen from Tokyo fall on the next day, after midnight.
    const tokyo = placeByDay([o], days, 'Asia/Tokyo');
    expect(tokyo.get('2027-03-24')).toMatchObject([{ top: 2 * 60, bottom: 3 * 60 + 30 }]);
    expect(timeLabel(o, 'Europe/Paris')).toBe('18:00–19:30');
  });

  it('splits an event across midnight into both days, and one ending at midnight stays in its day', () => {
    const late = occ(at('2027-03-23T22:00:00Z'), at('2027-03-24T00:30:00Z')); // 23:00–01:30 Paris
    const placed = placeByDay([late], days, 'Europe/Paris');
    expect(placed.get('2027-03-23')).toMatchObject([{ top: 23 * 60, bottom: 1440, continues: true, continued: false }]);
    expect(placed.get('2027-03-24')).toMatchObject([{ top: 0, bottom: 90, continued: true, continues: false }]);
    expect(timeLabel(late, 'Europe/Paris')).toBe('23:00–01:30 (next day)');

    const toMidnight = occ(at('2027-03-23T22:00:00Z'), at('2027-03-23T23:00:00Z')); // 23:00–00:00 Paris
    const m = placeByDay([toMidnight], days, 'Europe/Paris');
    expect(m.get('2027-03-23')).toMatchObject([{ top: 23 * 60, bottom: 1440, continues: false }]);
    expect(m.get('2027-03-24')).toEqual([]);
    expect(timeLabel(toMidnight, 'Europe/Paris')).toBe('23:00–00:00');
  });

  it('keeps a weekly event at the same wall-clock hour across the DST change', () => {
    const before = occ(at('2027-03-23T17:00:00Z'), at('2027-03-23T18:00:00Z'));
    const after = occ(at('2027-03-30T16:00:00Z'), at('2027-03-30T17:00:00Z'));
    const two = placeByDay([before, after], viewDays('month', '2027-03-01'), 'Europe/Paris');
    expect(two.get('2027-03-23')?.[0].top).toBe(18 * 60);
    expect(two.get('2027-03-30')?.[0].top).toBe(18 * 60);
  });

  it('draws an event over the skipped hour by its wall clock (01:30–03:30 is one real hour)', () => {
    const o = occ(at('2027-03-28T00:30:00Z'), at('2027-03-28T01:30:00Z'));
    expect(spanOf(o, 'Europe/Paris')).toMatchObject({ startMinutes: 90, endMinutes: 210, startDate: '2027-03-28', endDate: '2027-03-28' });
    // In the repeated hour in October, an hour-long event can end "earlier" on the clock: no negative height.
    const back = occ(at('2027-10-31T00:30:00Z'), at('2027-10-31T01:10:00Z')); // 02:30 CEST – 02:10 CET
    const s = spanOf(back, 'Europe/Paris');
    expect(s.endMinutes).toBeGreaterThanOrEqual(s.startMinutes);
  });

  it('keeps all-day events on their dates whatever the zone, the end date exclusive', () => {
    const day = occ({ date: '2027-03-24', at: '2027-03-23T23:00:00Z' }, { date: '2027-03-25', at: '2027-03-24T23:00:00Z' });
    for (const zone of ['Pacific/Kiritimati', 'Pacific/Pago_Pago', 'Europe/Paris']) {
      const placed = placeByDay([day], days, zone);
      expect(placed.get('2027-03-24'), zone).toMatchObject([{ allDay: true }]);
      expect(placed.get('2027-03-25'), zone).toEqual([]);
    }
    const three = occ({ date: '2027-03-27', at: '' }, { date: '2027-03-30', at: '' });
    const placed = placeByDay([three], days, 'UTC');
    expect(placed.get('2027-03-27')).toHaveLength(1);
    expect(placed.get('2027-03-28')).toMatchObject([{ continued: true, continues: true }]);
    expect(timeLabel(three, 'UTC')).toBe('All day, 3 days');
  });

  it('puts all-day events first and overlapping ones side by side', () => {
    const a = occ(at('2027-03-22T09:00:00Z'), at('2027-03-22T11:00:00Z'), { event_id: 'a' });
    const b = occ(at('2027-03-22T10:00:00Z'), at('2027-03-22T12:00:00Z'), { event_id: 'b' });
    const c = occ(at('2027-03-22T11:00:00Z'), at('2027-03-22T11:30:00Z'), { event_id: 'c' });
    const d = occ(at('2027-03-22T13:00:00Z'), at('2027-03-22T14:00:00Z'), { event_id: 'd' });
    const allDay = occ({ date: '2027-03-22', at: '' }, { date: '2027-03-23', at: '' }, { event_id: 'x' });
    const segments = placeByDay([d, c, b, a, allDay], days, 'UTC').get('2027-03-22') ?? [];
    expect(segments.map((s) => [s.occurrence.event_id, s.lane, s.lanes])).toEqual([
      ['x', 0, 1],
      ['a', 0, 2],
      ['b', 1, 2],
      ['c', 0, 2],
      ['d', 0, 1],
    ]);
  });
});

describe('alarms', () => {
  it('say when they ring, in words', () => {
    expect(alarmLabel({ offset: '-PT15M', related: 'start' }, 'UTC')).toBe('15 minutes before');
    expect(alarmLabel({ offset: '-PT1M' }, 'UTC')).toBe('1 minute before');
    expect(alarmLabel({ offset: '-PT1H' }, 'UTC')).toBe('1 hour before');
    expect(alarmLabel({ offset: '-P1DT1H30M' }, 'UTC')).toBe('1 day 1 hour 30 minutes before');
    expect(alarmLabel({ offset: '-P1W' }, 'UTC')).toBe('1 week before');
    expect(alarmLabel({ offset: 'PT0S' }, 'UTC')).toBe('at the start');
    expect(alarmLabel({ offset: 'PT5M', related: 'end' }, 'UTC')).toBe('5 minutes after the end');
    expect(alarmLabel({ at: '2027-03-02T08:00:00Z' }, 'Europe/Paris')).toBe('at Tue 2 Mar 09:00');
    expect(alarmLabel({ offset: 'soon' }, 'UTC')).toBe('soon');
  });

  it('read ISO 8601 offsets in minutes', () => {
    expect(offsetMinutes('-PT15M')).toBe(-15);
    expect(offsetMinutes('-P1D')).toBe(-1440);
    expect(offsetMinutes('P1W')).toBe(7 * 1440);
    expect(offsetMinutes('PT0S')).toBe(0);
    expect(offsetMinutes('-PT1H0M30S')).toBe(-60);
    expect(offsetMinutes('P')).toBeNull();
    expect(offsetMinutes('-PT')).toBeNull();
    expect(offsetMinutes('15')).toBeNull();
  });
});

describe('changing events', () => {
  it('names the occurrence for this and following, not for all', () => {
    const o = { event_id: 'e1', occurrence: '2027-03-09T17:00:00Z' };
    expect(eventPath(o, 'this')).toBe('/agents/v1/events/e1?scope=this&occurrence=2027-03-09T17%3A00%3A00Z');
    expect(eventPath(o, 'following')).toBe('/agents/v1/events/e1?scope=following&occurrence=2027-03-09T17%3A00%3A00Z');
    expect(eventPath(o, 'all')).toBe('/agents/v1/events/e1?scope=all');
  });

  it('gives the feed a URL on the web app', () => {
    expect(feedUrl('https://posey.example/', 'abc_-1')).toBe('https://posey.example/feeds/abc_-1.ics');
  });
});
