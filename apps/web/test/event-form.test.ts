// The event form's pure parts: a new event's JSON, the form filled from an opened occurrence, and
// a change's PATCH body — only what changed, for the scope chosen (with the occurrence named),
// reminders as ISO 8601 offsets, and a series moved or re-ruled without losing its own dates.

import { describe, expect, it } from 'vitest';

import { eventPath } from '@/lib/calendar';
import {
  alarmOffset,
  blankForm,
  buildRrule,
  customRepeatLabel,
  describeRule,
  editBody,
  eventBody,
  formErrors,
  formFromOccurrence,
  reminderChoices,
  reminderKey,
  repeatChanged,
  repeatOf,
  shiftTime,
  type EditTarget,
  type EventForm,
} from '@/lib/event-form';
import type { CalendarItem, Occurrence } from '@/lib/types';

const PARIS = 'Europe/Paris';

const form = (f: Partial<EventForm>): EventForm => ({
  ...blankForm('2027-03-02', PARIS),
  summary: 'Choir',
  start: '18:00',
  end: '19:30',
  ...f,
});

/** An occurrence as agents lists it; by default a one-off 18:00–19:30 in Paris on 2 March 2027. */
function occ(extra: Partial<Occurrence> = {}): Occurrence {
  return {
    event_id: 'e1',
    calendar_id: 'c1',
    uid: 'u1@posey',
    occurrence: null,
    recurring: false,
    summary: 'Choir',
    description: null,
    location: 'Town hall',
    start: { date_time: '2027-03-02T18:00:00', time_zone: PARIS, at: '2027-03-02T17:00:00Z' },
    end: { date_time: '2027-03-02T19:30:00', time_zone: PARIS, at: '2027-03-02T18:30:00Z' },
    all_day: false,
    status: null,
    categories: [],
    transparent: false,
    alarms: [{ action: 'display', offset: '-PT15M', related: 'start' }],
    etag: '"7"',
    ...extra,
  };
}

/** The third Tuesday of a weekly series from 2 March (10 times), one extra date and two excluded. */
const series: Pick<CalendarItem, 'recurrence' | 'start'> = {
  start: { date_time: '2027-03-02T18:00:00', time_zone: PARIS, at: '2027-03-02T17:00:00Z' },
  recurrence: {
    rules: ['FREQ=WEEKLY;BYDAY=TU;COUNT=10'],
    dates: [
      { date_time: '2027-03-05T18:00:00', time_zone: PARIS, at: '2027-03-05T17:00:00Z' },
      { date_time: '2027-03-26T18:00:00', time_zone: PARIS, at: '2027-03-26T17:00:00Z' },
    ],
    excluded: [
      { date_time: '2027-03-09T18:00:00', time_zone: PARIS, at: '2027-03-09T17:00:00Z' },
      { date_time: '2027-03-23T18:00:00', time_zone: PARIS, at: '2027-03-23T17:00:00Z' },
    ],
  },
};
const third = occ({
  recurring: true,
  occurrence: '2027-03-16T17:00:00Z',
  start: { date_time: '2027-03-16T18:00:00', time_zone: PARIS, at: '2027-03-16T17:00:00Z' },
  end: { date_time: '2027-03-16T19:30:00', time_zone: PARIS, at: '2027-03-16T18:30:00Z' },
});

/** The PATCH body of `change` to the form filled from `o`. */
function patch(o: Occurrence, change: Partial<EventForm>, scope: EditTarget['scope'] = 'all', s: EditTarget['series'] = o.recurring ? series : null) {
  const initial = formFromOccurrence(o, PARIS, s);
  return editBody(initial, { ...initial, ...change }, { occurrence: o, series: s, scope });
}

describe('a new event', () => {
  it('builds the RRULE for each repeat choice', () => {
    expect(buildRrule('none', '2027-03-02')).toBeNull();
    expect(buildRrule('daily', '2027-03-02')).toBe('FREQ=DAILY');
    expect(buildRrule('weekly', '2027-03-02')).toBe('FREQ=WEEKLY;BYDAY=TU');
    expect(buildRrule('weekly', '2027-03-07')).toBe('FREQ=WEEKLY;BYDAY=SU');
    expect(buildRrule('monthly', '2027-03-31', 6)).toBe('FREQ=MONTHLY;COUNT=6');
    expect(buildRrule('yearly', '2028-02-29')).toBe('FREQ=YEARLY');
  });

  it('writes reminders as ISO 8601 offsets before the start', () => {
    expect(alarmOffset(15)).toBe('-PT15M');
    expect(alarmOffset(90)).toBe('-PT1H30M');
    expect(alarmOffset(60)).toBe('-PT1H');
    expect(alarmOffset(1440)).toBe('-P1D');
    expect(alarmOffset(0)).toBe('PT0S');
    expect(reminderChoices([], 'UTC').map((c) => c.label)).toEqual([
      'At the start',
      '5 minutes before',
      '10 minutes before',
      '15 minutes before',
      '30 minutes before',
      '1 hour before',
      '1 day before',
    ]);
  });

  it('turns a weekly timed event into agents’ JSON in the form’s zone, with several reminders', () => {
    expect(eventBody(form({ repeat: 'weekly', location: ' Hall ', description: ' Bring the score ', reminders: ['1440', '15', '0'] }))).toEqual({
      body: {
        summary: 'Choir',
        start: { date_time: '2027-03-02T18:00:00', time_zone: PARIS },
        end: { date_time: '2027-03-02T19:30:00', time_zone: PARIS },
        recurrence: { rules: ['FREQ=WEEKLY;BYDAY=TU'] },
        location: 'Hall',
        description: 'Bring the score',
        alarms: [{ offset: 'PT0S' }, { offset: '-PT15M' }, { offset: '-P1D' }],
      },
    });
    expect(eventBody(form({ timeZone: 'America/New_York' }))).toMatchObject({ body: { start: { time_zone: 'America/New_York' } } });
  });

  it('ends an event the next day when its end is before its start, or on its end date; an all-day one lasts its days', () => {
    expect(eventBody(form({ start: '23:00', end: '01:00' }))).toMatchObject({ body: { end: { date_time: '2027-03-03T01:00:00' } } });
    expect(eventBody(form({ start: '09:00', end: '17:00', endDate: '2027-03-04' }))).toMatchObject({ body: { end: { date_time: '2027-03-04T17:00:00' } } });
    expect(eventBody(form({ allDay: true }))).toEqual({ body: { summary: 'Choir', start: { date: '2027-03-02' } } });
    // The last day given; agents' end is the day after it.
    expect(eventBody(form({ allDay: true, endDate: '2027-03-04' }))).toMatchObject({ body: { start: { date: '2027-03-02' }, end: { date: '2027-03-05' } } });
  });

  it('says what is wrong, field by field', () => {
    expect(eventBody(form({ summary: '  ', date: '2027-02-30', start: '25:00' }))).toEqual({
      errors: { summary: ['Give the event a name.'], date: ['Pick a date.'], start: ['Pick a start time.'] },
    });
    expect(eventBody(form({ end: '18:00' }))).toEqual({ errors: { end: ['The end must differ from the start.'] } });
    expect(eventBody(form({ endDate: '2027-03-02', end: '17:00' }))).toEqual({ errors: { end: ['The end must be after the start.'] } });
    expect(eventBody(form({ allDay: true, endDate: '2027-03-01' }))).toEqual({ errors: { endDate: ['The last day cannot be before the first.'] } });
    expect(eventBody(form({ timeZone: 'Mars/Olympus_Mons' }))).toEqual({ errors: { timeZone: ['Pick a time zone.'] } });
    expect(eventBody(form({ repeat: 'daily', count: '0' }))).toEqual({ errors: { count: ['A whole number from 1 to 1000.'] } });
  });

  it('puts agents’ 422 fields under the form’s fields', () => {
    expect(formErrors({ summary: ['must not be empty'], 'recurrence.rules': ['bad rule'], end: ['is before start'], alarms: ['offset: no'], weird: ['no'] }, false)).toEqual({
      summary: ['Must not be empty'],
      repeat: ['Bad rule'],
      end: ['Is before start'],
      reminders: ['Offset: no'],
      form: ['weird no'],
    });
    expect(formErrors({ start: ['is not a date'], end: ['is before start'] }, true)).toEqual({ date: ['Is not a date'], endDate: ['Is before start'] });
    expect(formErrors({}, false, 'The request failed (500).')).toEqual({ form: ['The request failed (500).'] });
  });
});

describe('the form filled from an occurrence', () => {
  it('has its name, times in its own zone, place and reminders', () => {
    const o = occ({
      description: 'Bring the score',
      alarms: [
        { action: 'display', offset: '-PT15M', related: 'start' },
        { action: 'display', offset: '-PT45M', related: 'start' },
        { action: 'email', at: '2027-03-01T08:00:00Z' },
        { action: 'display', offset: '-P1D', related: 'start' },
      ],
    });
    // Seen from Tokyo it is still 18:00 in Paris, its own zone.
    expect(formFromOccurrence(o, 'Asia/Tokyo')).toEqual({
      summary: 'Choir',
      date: '2027-03-02',
      allDay: false,
      start: '18:00',
      end: '19:30',
      endDate: '',
      timeZone: PARIS,
      repeat: 'none',
      count: '',
      location: 'Town hall',
      description: 'Bring the score',
      reminders: ['15', 'kept-1', 'kept-2', '1440'],
    });
    // The reminders the form does not offer are still there to untick, in words.
    expect(reminderChoices(o.alarms, PARIS).slice(-2)).toEqual([
      { key: 'kept-1', label: '45 minutes before' },
      { key: 'kept-2', label: 'At Mon 1 Mar 09:00' },
    ]);
    expect(reminderKey({ action: 'display', offset: '-PT15M', related: 'end' }, 3)).toBe('kept-3');
  });

  it('reads an instant in the person’s zone, and keeps an end date only when the times do not imply it', () => {
    const utc = occ({ start: { date_time: '2027-03-02T22:00:00Z', at: '2027-03-02T22:00:00Z' }, end: { date_time: '2027-03-03T00:30:00Z', at: '2027-03-03T00:30:00Z' } });
    expect(formFromOccurrence(utc, PARIS)).toMatchObject({ date: '2027-03-02', start: '23:00', end: '01:30', endDate: '', timeZone: PARIS });
    const long = occ({ end: { date_time: '2027-03-04T19:30:00', time_zone: PARIS, at: '2027-03-04T18:30:00Z' } });
    expect(formFromOccurrence(long, PARIS)).toMatchObject({ start: '18:00', end: '19:30', endDate: '2027-03-04' });
    const holiday = occ({ all_day: true, start: { date: '2027-03-19' }, end: { date: '2027-03-22' } });
    expect(formFromOccurrence(holiday, PARIS)).toMatchObject({ allDay: true, date: '2027-03-19', endDate: '2027-03-21' });
    const day = occ({ all_day: true, start: { date: '2027-03-19' }, end: { date: '2027-03-20' } });
    expect(formFromOccurrence(day, PARIS)).toMatchObject({ allDay: true, date: '2027-03-19', endDate: '' });
  });

  it('has the series’ repeat when the form can say it, else keeps it as set elsewhere', () => {
    expect(formFromOccurrence(third, PARIS, series)).toMatchObject({ date: '2027-03-16', repeat: 'weekly', count: '10' });
    expect(repeatOf({ rules: ['FREQ=DAILY'], dates: [], excluded: [] }, '2027-03-02')).toEqual({ repeat: 'daily', count: '' });
    expect(repeatOf({ rules: ['FREQ=WEEKLY;INTERVAL=2;BYDAY=TU'], dates: [], excluded: [] }, '2027-03-02')).toEqual({ repeat: 'custom', count: '' });
    expect(repeatOf({ rules: ['FREQ=WEEKLY;BYDAY=MO,TU'], dates: [], excluded: [] }, '2027-03-02')).toEqual({ repeat: 'custom', count: '' });
    expect(repeatOf({ rules: ['FREQ=MONTHLY;UNTIL=20271231T000000Z'], dates: [], excluded: [] }, '2027-03-02')).toEqual({ repeat: 'custom', count: '' });
    expect(repeatOf(null, '2027-03-02')).toEqual({ repeat: 'none', count: '' });
  });

  it('says in words a repeat the choices cannot, such as what “delete this and following” leaves', () => {
    expect(describeRule('FREQ=WEEKLY;BYDAY=TU;UNTIL=20270323T165959Z', PARIS)).toBe('Every week on Tuesday, until Tue 23 Mar 17:59');
    // Agents writes UNTIL before BYDAY: the words keep their order.
    expect(describeRule('FREQ=WEEKLY;UNTIL=20270323T165959Z;BYDAY=TU', PARIS)).toBe('Every week on Tuesday, until Tue 23 Mar 17:59');
    expect(describeRule('FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH', PARIS)).toBe('Every 2 weeks on Monday, Thursday');
    expect(describeRule('FREQ=DAILY;COUNT=5', PARIS)).toBe('Every day, 5 times');
    expect(describeRule('FREQ=MONTHLY;BYMONTHDAY=15;UNTIL=20271231', PARIS)).toBe('Every month on day 15, until Fri 31 Dec');
    expect(describeRule('FREQ=MONTHLY;BYDAY=2TU', PARIS)).toBeNull();
    expect(describeRule('FREQ=HOURLY', PARIS)).toBeNull();
    expect(customRepeatLabel({ rules: ['FREQ=MONTHLY;BYSETPOS=-1;BYDAY=FR'], dates: [], excluded: [] }, PARIS)).toBe('Custom repeat');
    expect(customRepeatLabel({ rules: ['FREQ=YEARLY;INTERVAL=4'], dates: [], excluded: [] }, PARIS)).toBe('Every 4 years');
  });
});

describe('a change', () => {
  it('sends only what changed: a new name and time', () => {
    const built = patch(occ(), { summary: 'Choir rehearsal', start: '19:00', end: '20:30' });
    expect(built).toEqual({
      body: {
        summary: 'Choir rehearsal',
        start: { date_time: '2027-03-02T19:00:00', time_zone: PARIS },
        end: { date_time: '2027-03-02T20:30:00', time_zone: PARIS },
      },
    });
    expect(eventPath(occ(), 'all')).toBe('/agents/v1/events/e1?scope=all');
    expect(patch(occ(), {})).toEqual({ body: {} });
    expect(patch(occ(), { location: '  ', description: 'Bring the score' })).toEqual({ body: { location: null, description: 'Bring the score' } });
    expect(patch(occ(), { summary: ' ' })).toEqual({ errors: { summary: ['Give the event a name.'] } });
  });

  it('makes a timed event all day with an explicit end, so it does not keep its old length', () => {
    expect(patch(occ(), { allDay: true })).toEqual({ body: { start: { date: '2027-03-02' }, end: { date: '2027-03-03' } } });
  });

  it('changes the reminders, keeping the event’s own as they were', () => {
    const o = occ({ alarms: [{ action: 'audio', offset: '-PT15M', related: 'start', description: 'Leave now' }, { action: 'display', offset: '-PT45M', related: 'start' }] });
    const initial = formFromOccurrence(o, PARIS);
    expect(initial.reminders).toEqual(['15', 'kept-1']);
    // 45 minutes unticked, an hour and the start ticked.
    expect(editBody(initial, { ...initial, reminders: ['60', '15', '0'] }, { occurrence: o, scope: 'all' })).toEqual({
      body: { alarms: [{ action: 'audio', offset: '-PT15M', related: 'start', description: 'Leave now' }, { offset: 'PT0S' }, { offset: '-PT1H' }] },
    });
    expect(editBody(initial, { ...initial, reminders: [] }, { occurrence: o, scope: 'all' })).toEqual({ body: { alarms: [] } });
    // The same ones in another order are no change.
    expect(editBody(initial, { ...initial, reminders: ['kept-1', '15'] }, { occurrence: o, scope: 'all' })).toEqual({ body: {} });
  });

  it('changes one occurrence of a series, named by its occurrence id, without its recurrence', () => {
    const built = patch(third, { summary: 'Choir (at Anna’s)', date: '2027-03-17' }, 'this');
    expect(built).toEqual({
      body: {
        summary: 'Choir (at Anna’s)',
        start: { date_time: '2027-03-17T18:00:00', time_zone: PARIS },
        end: { date_time: '2027-03-17T19:30:00', time_zone: PARIS },
      },
    });
    expect(eventPath(third, 'this')).toBe('/agents/v1/events/e1?scope=this&occurrence=2027-03-16T17%3A00%3A00Z');
    // A new repeat is not for one occurrence.
    const initial = formFromOccurrence(third, PARIS, series);
    expect(repeatChanged(initial, { ...initial, repeat: 'daily' })).toBe(true);
    expect(repeatChanged(initial, { ...initial, summary: 'x' })).toBe(false);
    expect(patch(third, { repeat: 'daily' }, 'this')).toEqual({ errors: { repeat: [expect.stringMatching(/not for one/)] } });
  });

  it('moves the whole series from a later occurrence as far as that occurrence moved', () => {
    // Opened on 16 March, an hour later for all: the series still starts on 2 March.
    expect(patch(third, { start: '19:00', end: '20:30' }, 'all')).toEqual({
      body: {
        start: { date_time: '2027-03-02T19:00:00', time_zone: PARIS },
        end: { date_time: '2027-03-02T20:30:00', time_zone: PARIS },
      },
    });
    // From a Tuesday to the Wednesday: the series moves a day and its weekly rule with it.
    expect(patch(third, { date: '2027-03-17' }, 'all')).toMatchObject({
      body: {
        start: { date_time: '2027-03-03T18:00:00' },
        recurrence: {
          rules: ['FREQ=WEEKLY;BYDAY=WE;COUNT=10'],
          dates: [{ date_time: '2027-03-06T18:00:00', time_zone: PARIS }, { date_time: '2027-03-27T18:00:00', time_zone: PARIS }],
          excluded: [{ date_time: '2027-03-10T18:00:00', time_zone: PARIS }, { date_time: '2027-03-24T18:00:00', time_zone: PARIS }],
        },
      },
    });
    expect(eventPath(third, 'all')).toBe('/agents/v1/events/e1?scope=all');
  });

  it('re-rules this and the following, keeping only their own extra and excluded dates', () => {
    expect(patch(third, { repeat: 'daily', count: '' }, 'following')).toEqual({
      body: {
        recurrence: {
          rules: ['FREQ=DAILY'],
          dates: [{ date_time: '2027-03-26T18:00:00', time_zone: PARIS }],
          excluded: [{ date_time: '2027-03-23T18:00:00', time_zone: PARIS }],
        },
      },
    });
    expect(eventPath(third, 'following')).toBe('/agents/v1/events/e1?scope=following&occurrence=2027-03-16T17%3A00%3A00Z');
    // Moved an hour too: its excluded dates go with it, so the ones deleted stay deleted.
    expect(patch(third, { repeat: 'daily', start: '19:00', end: '20:30' }, 'following')).toMatchObject({
      body: { start: { date_time: '2027-03-16T19:00:00' }, recurrence: { excluded: [{ date_time: '2027-03-23T19:00:00' }] } },
    });
    // Repeating no more from here on.
    expect(patch(third, { repeat: 'none' }, 'following')).toEqual({ body: { recurrence: null } });
  });

  it('makes a one-off event repeat', () => {
    expect(patch(occ(), { repeat: 'weekly', count: '4' })).toEqual({ body: { recurrence: { rules: ['FREQ=WEEKLY;BYDAY=TU;COUNT=4'], dates: [], excluded: [] } } });
  });
});

describe('times moved on the wall clock', () => {
  it('keeps the zone and the seconds, crosses midnight and reads instants in the zone', () => {
    expect(shiftTime({ date_time: '2027-03-02T23:30:15', time_zone: PARIS }, 60, 'UTC')).toEqual({ date_time: '2027-03-03T00:30:15', time_zone: PARIS });
    expect(shiftTime({ date: '2027-03-02' }, 2 * 1440, 'UTC')).toEqual({ date: '2027-03-04' });
    expect(shiftTime({ date_time: '2027-03-02T17:00:00Z' }, -60, PARIS)).toEqual({ date_time: '2027-03-02T17:00:00', time_zone: PARIS });
    expect(shiftTime({ date_time: '2027-03-02T09:00:00', floating: true }, 30, PARIS)).toEqual({ date_time: '2027-03-02T09:30:00', floating: true });
  });
});
