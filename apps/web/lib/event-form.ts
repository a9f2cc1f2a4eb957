// The event form, for a new event and for changing one: its values, what is wrong with them
// field by field, the POST body of a new event, the values an opened occurrence fills it with,
// and the PATCH body of a change — only what the person changed, for the scope they chose, so
// nothing they did not touch (an override's own title, a flight's arrival zone) is overwritten.

import { addDays, alarmLabel, dateLabel, daysBetween, hhmm, isDate, isZone, MINUTES_PER_DAY, offsetMinutes, spanOf, wallTime, weekday, WEEKDAYS_LONG, type Scope } from './calendar';
import type { CalendarAlarm, CalendarItem, CalTime, Occurrence } from './types';

// ---- Repeats --------------------------------------------------------------------------------

export type Repeat = 'none' | 'daily' | 'weekly' | 'monthly' | 'yearly';
export const REPEATS: readonly Repeat[] = ['none', 'daily', 'weekly', 'monthly', 'yearly'];
/** `custom`: a rule the form's choices cannot say (every other week, until a date, …), kept as it is. */
export type RepeatChoice = Repeat | 'custom';

const BYDAY = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'];

/**
 * The RRULE for a repeat choice starting on `date`, or null. Weekly names its day; monthly and
 * yearly follow the start date, as RFC 5545 reads a rule without BYMONTHDAY (a monthly event on
 * the 31st skips shorter months).
 */
export function buildRrule(repeat: Repeat, date: string, count?: number): string | null {
  const rule = { none: null, daily: 'FREQ=DAILY', weekly: `FREQ=WEEKLY;BYDAY=${BYDAY[weekday(date)]}`, monthly: 'FREQ=MONTHLY', yearly: 'FREQ=YEARLY' }[repeat];
  if (rule === null) return null;
  return count ? `${rule};COUNT=${count}` : rule;
}

/** The repeat choices, in words for a start on `date`. */
export function repeatLabel(repeat: RepeatChoice, date: string): string {
  if (repeat === 'custom') return 'Custom repeat';
  if (!isDate(date)) return { none: 'Does not repeat', daily: 'Every day', weekly: 'Every week', monthly: 'Every month', yearly: 'Every year' }[repeat];
  return {
    none: 'Does not repeat',
    daily: 'Every day',
    weekly: `Every week on ${WEEKDAYS_LONG[weekday(date)]}`,
    monthly: `Every month on day ${Number(date.slice(8))}`,
    yearly: `Every year on ${dateLabel(date, 'dayMonth')}`,
  }[repeat];
}

const UNITS: Record<string, string> = { DAILY: 'day', WEEKLY: 'week', MONTHLY: 'month', YEARLY: 'year' };

/**
 * A rule the form's choices cannot say, in words where it is a plain one: "Every 2 weeks on
 * Monday, Thursday", "Every week on Tuesday, until Tue 23 Mar 17:59", "Every day, 5 times".
 * Null for the rest (by month, by set position, hourly, …). UNTIL is read in `zone`.
 */
export function describeRule(rule: string, zone: string): string | null {
  const parts = new Map(
    rule
      .replace(/^RRULE:/i, '')
      .split(';')
      .map((p) => p.split('='))
      .map(([k, v]) => [k.toUpperCase(), (v ?? '').toUpperCase()]),
  );
  const unit = UNITS[parts.get('FREQ') ?? ''];
  if (!unit) return null;
  const interval = Number(parts.get('INTERVAL') ?? '1');
  if (!Number.isInteger(interval) || interval < 1) return null;
  const every = interval === 1 ? `Every ${unit}` : `Every ${interval} ${unit}s`;
  // Which days, then how it ends, in whatever order the rule has its parts.
  let on = '';
  let ends = '';
  for (const [key, value] of parts) {
    if (key === 'FREQ' || key === 'INTERVAL' || key === 'WKST') continue;
    if (key === 'BYDAY' && unit === 'week' && value.split(',').every((d) => BYDAY.includes(d))) {
      on = ` on ${value
        .split(',')
        .map((d) => WEEKDAYS_LONG[BYDAY.indexOf(d)])
        .join(', ')}`;
    } else if (key === 'BYMONTHDAY' && unit === 'month' && /^\d{1,2}$/.test(value)) {
      on = ` on day ${Number(value)}`;
    } else if (key === 'COUNT' && /^\d+$/.test(value)) {
      ends = `, ${value} times`;
    } else if (key === 'UNTIL' && /^\d{8}(T\d{6}Z?)?$/.test(value)) {
      const day = `${value.slice(0, 4)}-${value.slice(4, 6)}-${value.slice(6, 8)}`;
      if (!isDate(day)) return null;
      if (!value.endsWith('Z')) ends = `, until ${dateLabel(day, 'short')}${value.length > 8 ? ` ${value.slice(9, 11)}:${value.slice(11, 13)}` : ''}`;
      else {
        const w = wallTime(`${day}T${value.slice(9, 11)}:${value.slice(11, 13)}:${value.slice(13, 15)}Z`, zone);
        ends = `, until ${dateLabel(w.date, 'short')} ${hhmm(w.minutes)}`;
      }
    } else {
      return null;
    }
  }
  return every + on + ends;
}

/** What the form calls a recurrence it keeps as it is. */
export function customRepeatLabel(recurrence: CalendarItem['recurrence'], zone: string): string {
  const only = recurrence?.rules.length === 1 && recurrence.dates.length === 0 ? describeRule(recurrence.rules[0], zone) : null;
  return only ?? 'Custom repeat';
}

/**
 * A recurrence read back as the form's choice: a single rule the form could have written for a
 * series starting on `date` (the frequency, the weekly rule's own weekday, a count), else
 * `custom`.
 */
export function repeatOf(recurrence: CalendarItem['recurrence'], date: string): { repeat: RepeatChoice; count: string } {
  if (!recurrence || (recurrence.rules.length === 0 && recurrence.dates.length === 0)) return { repeat: 'none', count: '' };
  if (recurrence.rules.length !== 1) return { repeat: 'custom', count: '' };
  const parts = new Map(
    recurrence.rules[0]
      .replace(/^RRULE:/i, '')
      .split(';')
      .map((p) => p.split('=') as [string, string])
      .map(([k, v]) => [k.toUpperCase(), (v ?? '').toUpperCase()]),
  );
  const freq = parts.get('FREQ');
  const repeat = ({ DAILY: 'daily', WEEKLY: 'weekly', MONTHLY: 'monthly', YEARLY: 'yearly' } as const)[freq as string];
  const count = parts.get('COUNT') ?? '';
  const simple = [...parts].every(([k, v]) => {
    if (k === 'FREQ' || k === 'WKST') return true;
    if (k === 'COUNT') return /^\d+$/.test(v);
    if (k === 'INTERVAL') return v === '1';
    if (k === 'BYDAY') return repeat === 'weekly' && isDate(date) && v === BYDAY[weekday(date)];
    return false;
  });
  if (!repeat || !simple) return { repeat: 'custom', count: '' };
  return { repeat, count };
}

// ---- Reminders ------------------------------------------------------------------------------

/** The reminders the form offers, in minutes before the start (0: at the start). */
export const REMINDER_MINUTES: readonly number[] = [0, 5, 10, 15, 30, 60, 1440];

/** An alarm as agents takes it. */
export interface AlarmBody {
  action?: string;
  offset?: string;
  related?: string;
  at?: string;
  description?: string;
}

/** An ISO 8601 offset before the start: 15 → `-PT15M`, 90 → `-PT1H30M`, 1440 → `-P1D`, 0 → `PT0S`. */
export function alarmOffset(minutes: number): string {
  if (minutes === 0) return 'PT0S';
  const days = Math.floor(minutes / MINUTES_PER_DAY);
  const hours = Math.floor((minutes % MINUTES_PER_DAY) / 60);
  const mins = minutes % 60;
  const time = `${hours ? `${hours}H` : ''}${mins ? `${mins}M` : ''}`;
  return `-P${days ? `${days}D` : ''}${time ? `T${time}` : ''}`;
}

/**
 * The form's key for an alarm an event has: the offered reminder it is (`"15"`), or `kept-<i>`
 * for one the form does not offer (an absolute time, after the end, 45 minutes before), which
 * stays as it is unless unticked.
 */
export function reminderKey(alarm: CalendarAlarm, index: number): string {
  const minutes = alarm.at || alarm.related === 'end' ? null : offsetMinutes(alarm.offset ?? '');
  return minutes !== null && minutes <= 0 && REMINDER_MINUTES.includes(-minutes) ? String(-minutes) : `kept-${index}`;
}

export interface ReminderChoice {
  key: string;
  /** "15 minutes before", "At the start", "At Tue 2 Mar 09:00". */
  label: string;
}

/** The reminders to tick: those offered, then the ones `alarms` has that are not. */
export function reminderChoices(alarms: CalendarAlarm[], zone: string): ReminderChoice[] {
  const capital = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);
  const offered = REMINDER_MINUTES.map((m) => ({ key: String(m), label: capital(alarmLabel({ offset: alarmOffset(m) }, zone)) }));
  const kept = alarms.flatMap((a, i) => (reminderKey(a, i).startsWith('kept-') ? [{ key: `kept-${i}`, label: capital(alarmLabel(a, zone)) }] : []));
  return [...offered, ...kept];
}

/** The alarms ticked: the event's own as they were (their action and text kept), then new ones in the order offered. */
function alarmsOf(keys: string[], had: CalendarAlarm[]): AlarmBody[] {
  const ticked = new Set(keys);
  const kept = had.flatMap((a, i) => (ticked.has(reminderKey(a, i)) ? [alarmJson(a)] : []));
  const hadKeys = new Set(had.map(reminderKey));
  const added = REMINDER_MINUTES.filter((m) => ticked.has(String(m)) && !hadKeys.has(String(m))).map((m) => ({ offset: alarmOffset(m) }));
  return [...kept, ...added];
}

function alarmJson(a: CalendarAlarm): AlarmBody {
  const out: AlarmBody = { action: a.action };
  if (a.offset !== undefined) out.offset = a.offset;
  if (a.related !== undefined) out.related = a.related;
  if (a.at !== undefined) out.at = a.at;
  if (a.description !== undefined) out.description = a.description;
  return out;
}

// ---- The form -------------------------------------------------------------------------------

export interface EventForm {
  summary: string;
  /** The first day. */
  date: string;
  allDay: boolean;
  /** `HH:MM` */
  start: string;
  end: string;
  /** The day it ends (the last day, all day); blank: `date`, or the next day when `end` is not after `start`. */
  endDate: string;
  /** The IANA zone of the times. */
  timeZone: string;
  repeat: RepeatChoice;
  /** How many times it happens (blank: no end). */
  count: string;
  location: string;
  description: string;
  /** The reminders ticked ([`reminderKey`]). */
  reminders: string[];
  calendarId?: string;
}

/** The form's fields that can carry an error; `form` is for what belongs to none. */
export type FormField =
  | 'summary'
  | 'date'
  | 'start'
  | 'end'
  | 'endDate'
  | 'timeZone'
  | 'repeat'
  | 'count'
  | 'location'
  | 'description'
  | 'reminders'
  | 'calendar'
  | 'form';
export type FieldErrors = Partial<Record<FormField, string[]>>;

/** A new event's form: an hour from 09:00 in the person's zone on `date`. */
export function blankForm(date: string, zone: string): EventForm {
  return { summary: '', date, allDay: false, start: '09:00', end: '10:00', endDate: '', timeZone: zone, repeat: 'none', count: '', location: '', description: '', reminders: [] };
}

function parseHhmm(text: string): number | null {
  const m = /^(\d{1,2}):(\d{2})$/.exec(text.trim());
  if (!m) return null;
  const [h, min] = [Number(m[1]), Number(m[2])];
  return h < 24 && min < 60 ? h * 60 + min : null;
}

type Problems = (field: FormField, message: string) => void;

/** The form's start and end as agents' times, or null (what is wrong told to `problem`). */
function readTimes(form: EventForm, problem: Problems): { start: CalTime; end?: CalTime } | null {
  const dateOk = isDate(form.date);
  if (!dateOk) problem('date', 'Pick a date.');
  const endDate = form.endDate.trim();
  if (endDate && !isDate(endDate)) problem('endDate', 'Pick a date, or leave it empty.');
  if (form.allDay) {
    if (!dateOk || (endDate && !isDate(endDate))) return null;
    if (endDate && endDate < form.date) {
      problem('endDate', 'The last day cannot be before the first.');
      return null;
    }
    // Agents' end of an all-day event is the day after its last (as in iCalendar).
    return endDate && endDate !== form.date ? { start: { date: form.date }, end: { date: addDays(endDate, 1) } } : { start: { date: form.date } };
  }
  const start = parseHhmm(form.start);
  const end = parseHhmm(form.end);
  if (start === null) problem('start', 'Pick a start time.');
  if (end === null) problem('end', 'Pick an end time.');
  if (!isZone(form.timeZone)) problem('timeZone', 'Pick a time zone.');
  if (!dateOk || start === null || end === null || (endDate && !isDate(endDate)) || !isZone(form.timeZone)) return null;
  let last: string;
  if (!endDate) {
    if (end === start) {
      problem('end', 'The end must differ from the start.');
      return null;
    }
    last = end < start ? addDays(form.date, 1) : form.date;
  } else {
    if (endDate < form.date || (endDate === form.date && end <= start)) {
      problem('end', 'The end must be after the start.');
      return null;
    }
    last = endDate;
  }
  const at = (date: string, minutes: number): CalTime => ({ date_time: `${date}T${hhmm(minutes)}:00`, time_zone: form.timeZone });
  return { start: at(form.date, start), end: at(last, end) };
}

function readCount(form: EventForm, problem: Problems): number | undefined {
  if (form.repeat === 'none' || form.repeat === 'custom' || !form.count.trim()) return undefined;
  const count = Number(form.count);
  if (!Number.isInteger(count) || count < 1 || count > 1000) problem('count', 'A whole number from 1 to 1000.');
  return count;
}

function readSummary(form: EventForm, problem: Problems): string {
  const summary = form.summary.trim();
  if (!summary) problem('summary', 'Give the event a name.');
  else if (summary.length > 500) problem('summary', 'At most 500 characters.');
  return summary;
}

function collector(): { errors: FieldErrors; problem: Problems } {
  const errors: FieldErrors = {};
  return { errors, problem: (field, message) => (errors[field] ??= []).push(message) };
}

/** The POST /v1/events body agents takes. */
export interface NewEventBody {
  calendar_id?: string;
  summary: string;
  description?: string;
  location?: string;
  start: CalTime;
  end?: CalTime;
  recurrence?: { rules: string[] };
  alarms?: AlarmBody[];
}

/**
 * A new event's form as agents' JSON, or what is wrong with it, field by field. A timed event
 * is in the form's zone; with no end date, an end at or before the start (23:00 to 01:00) ends
 * the next day; an all-day event lasts its day unless it has a last day.
 */
export function eventBody(form: EventForm): { body: NewEventBody } | { errors: FieldErrors } {
  const { errors, problem } = collector();
  const summary = readSummary(form, problem);
  const times = readTimes(form, problem);
  const count = readCount(form, problem);
  if (!times || Object.keys(errors).length > 0) return { errors };

  const body: NewEventBody = { summary, start: times.start };
  if (times.end) body.end = times.end;
  if (form.calendarId) body.calendar_id = form.calendarId;
  const rule = form.repeat === 'custom' ? null : buildRrule(form.repeat, form.date, count);
  if (rule) body.recurrence = { rules: [rule] };
  if (form.location.trim()) body.location = form.location.trim();
  if (form.description.trim()) body.description = form.description.trim();
  const alarms = alarmsOf(form.reminders, []);
  if (alarms.length > 0) body.alarms = alarms;
  return { body };
}

// ---- Changing an event ----------------------------------------------------------------------

/** Where an instant or local time is on the wall clock: its date and minutes (local times as written). */
function wallOf(t: CalTime, zone: string): { date: string; minutes: number } | null {
  if (t.date) return { date: t.date, minutes: 0 };
  const local = t.date_time && /^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2})(:\d{2}(\.\d+)?)?$/.exec(t.date_time);
  // A zoned time is written in its own zone (which the form shows), a floating one is the same anywhere.
  if (local && (t.floating || (t.time_zone && t.time_zone === zone) || !t.at)) return { date: local[1], minutes: Number(local[2]) * 60 + Number(local[3]) };
  const instant = t.at ?? t.date_time;
  return instant ? wallTime(instant, zone) : null;
}

/**
 * The form filled with an occurrence as the person opened it: its times in its own zone (the
 * person's for one given as an instant or floating), its repeat as the series has it (`series`:
 * the event whole, for a recurring one), its reminders ticked.
 */
export function formFromOccurrence(o: Occurrence, zone: string, series?: Pick<CalendarItem, 'recurrence' | 'start'> | null): EventForm {
  const form = blankForm('', zone);
  form.summary = o.summary ?? '';
  form.location = o.location ?? '';
  form.description = o.description ?? '';
  form.reminders = o.alarms.map(reminderKey);
  form.allDay = o.all_day;
  if (o.all_day && o.start.date) {
    const span = spanOf(o, zone);
    form.date = span.startDate;
    form.endDate = span.endDate === span.startDate ? '' : span.endDate;
  } else {
    form.timeZone = o.start.time_zone && isZone(o.start.time_zone) ? o.start.time_zone : zone;
    const start = wallOf(o.start, form.timeZone);
    const end = wallOf(o.end, form.timeZone) ?? start;
    if (start && end) {
      form.date = start.date;
      form.start = hhmm(start.minutes);
      form.end = hhmm(end.minutes);
      // Blank when the form's own rule gives the same day back.
      const implied = end.minutes <= start.minutes ? addDays(start.date, 1) : start.date;
      form.endDate = end.date === implied && end.minutes !== start.minutes ? '' : end.date;
    }
  }
  if (o.recurring) {
    const seriesStart = series?.start ? wallOf(series.start, form.timeZone)?.date : undefined;
    const { repeat, count } = series ? repeatOf(series.recurrence, seriesStart ?? form.date) : { repeat: 'custom' as const, count: '' };
    form.repeat = repeat;
    form.count = count;
  }
  return form;
}

/** Whether the person changed how the event repeats (which one occurrence cannot take). */
export function repeatChanged(initial: EventForm, form: EventForm): boolean {
  return initial.repeat !== form.repeat || (form.repeat !== 'none' && form.repeat !== 'custom' && initial.count.trim() !== form.count.trim());
}

function timesChanged(initial: EventForm, form: EventForm): boolean {
  const keys: (keyof EventForm)[] = form.allDay ? ['allDay', 'date', 'endDate'] : ['allDay', 'date', 'endDate', 'start', 'end', 'timeZone'];
  return keys.some((k) => initial[k] !== form[k]);
}

/** The PATCH /v1/events/{id} body: what is left out stays; null clears. */
export interface EventChanges {
  summary?: string;
  description?: string | null;
  location?: string | null;
  start?: CalTime;
  end?: CalTime | null;
  recurrence?: { rules: string[]; dates: CalTime[]; excluded: CalTime[] } | null;
  alarms?: AlarmBody[];
}

/** What a change is made on: the occurrence opened, the event whole (a recurring one's), the scope chosen. */
export interface EditTarget {
  occurrence: Occurrence;
  series?: Pick<CalendarItem, 'recurrence' | 'start'> | null;
  scope: Scope;
}

/** `t` moved `minutes` on the wall clock of `zone` (an instant is first read there); a date by whole days. */
export function shiftTime(t: CalTime, minutes: number, zone: string): CalTime {
  if (minutes === 0) return t;
  if (t.date) return { date: addDays(t.date, Math.round(minutes / MINUTES_PER_DAY)) };
  const wall = wallOf(t, t.time_zone ?? zone);
  if (!wall) return t;
  const total = wall.minutes + minutes;
  const date = addDays(wall.date, Math.floor(total / MINUTES_PER_DAY));
  const seconds = /:(\d{2})(?:\.\d+)?$/.exec(t.date_time?.replace(/(Z|[+-]\d{2}:?\d{2})$/i, '') ?? '')?.[1] ?? '00';
  const out: CalTime = { date_time: `${date}T${hhmm(total)}:${seconds}` };
  if (t.floating) out.floating = true;
  else out.time_zone = t.time_zone ?? zone;
  return out;
}

/** The occurrence's original start (its id) as a wall-clock date in `zone`. */
function occurrenceDate(o: Occurrence, zone: string): string | null {
  if (!o.occurrence) return null;
  return isDate(o.occurrence) ? o.occurrence : wallTime(o.occurrence, zone).date;
}

/**
 * What the person changed, as the PATCH body for `target`'s scope, or what is wrong (empty: no
 * change). Only the fields that differ from `initial` (the form as it was filled) are sent. For
 * "all events" opened on a later occurrence a new date or time moves the whole series as far as
 * this occurrence moved (the series keeps its first occurrence, not this one's date); a new repeat
 * keeps the series' extra and excluded dates, moved with it (and, for "this and following", only
 * those from this occurrence on).
 */
export function editBody(initial: EventForm, form: EventForm, target: EditTarget): { body: EventChanges } | { errors: FieldErrors } {
  const { errors, problem } = collector();
  const body: EventChanges = {};
  const o = target.occurrence;
  const recurring = o.recurring && !!o.occurrence;
  const scope: Scope = recurring ? target.scope : 'all';

  if (form.summary !== initial.summary) body.summary = readSummary(form, problem);
  if (form.location.trim() !== initial.location.trim()) body.location = form.location.trim() || null;
  if (form.description.trim() !== initial.description.trim()) body.description = form.description.trim() || null;

  const moveTimes = timesChanged(initial, form);
  const times = moveTimes ? readTimes(form, problem) : null;
  // How far the series' first occurrence is from this one (whole days), for "all events".
  let seriesDays = 0;
  if (times && scope === 'all' && recurring && target.series?.start) {
    const first = wallOf(target.series.start, initial.timeZone)?.date;
    const was = occurrenceDate(o, initial.timeZone);
    if (first && was) seriesDays = daysBetween(was, first);
  }
  if (times) {
    const zone = form.timeZone;
    body.start = shiftTime(times.start, seriesDays * MINUTES_PER_DAY, zone);
    // An all-day event with no last day lasts its day: said, so the old length is not kept.
    body.end = shiftTime(times.end ?? { date: addDays(form.date, 1) }, seriesDays * MINUTES_PER_DAY, zone);
  }

  const newRepeat = repeatChanged(initial, form);
  const count = readCount(form, problem);
  const weekdayMoved = form.repeat === 'weekly' && isDate(form.date) && isDate(initial.date) && weekday(form.date) !== weekday(initial.date);
  if (scope === 'this' && newRepeat) {
    problem('repeat', 'How it repeats changes for this and the following events, or all of them — not for one.');
  } else if (scope !== 'this' && form.repeat !== 'custom' && (newRepeat || weekdayMoved)) {
    const rule = buildRrule(form.repeat, form.date, count);
    if (!rule) body.recurrence = null;
    else {
      // The minutes this occurrence moved on the wall clock: the series' own dates move as far.
      const wallStart = (f: EventForm) => ({ date: f.date, minutes: f.allDay ? 0 : (parseHhmm(f.start) ?? 0) });
      const [was, now] = [wallStart(initial), times ? wallStart(form) : wallStart(initial)];
      const moved = daysBetween(was.date, now.date) * MINUTES_PER_DAY + (now.minutes - was.minutes);
      const since = o.occurrence && scope === 'following' ? (isDate(o.occurrence) ? o.occurrence : new Date(o.occurrence).toISOString()) : null;
      const keep = (list: CalTime[] | undefined) =>
        (list ?? [])
          .filter((t) => !since || (t.date ? t.date >= since.slice(0, 10) : !t.at || new Date(t.at).toISOString() >= since))
          .map((t) => shiftTime(stripAt(t), moved, initial.timeZone));
      const recurrence = o.recurring ? target.series?.recurrence : null;
      body.recurrence = { rules: [rule], dates: keep(recurrence?.dates), excluded: keep(recurrence?.excluded) };
    }
  }

  if ([...form.reminders].sort().join() !== [...initial.reminders].sort().join()) body.alarms = alarmsOf(form.reminders, o.alarms);
  if (Object.keys(errors).length > 0) return { errors };
  return { body };
}

function stripAt(t: CalTime): CalTime {
  const { at, ...rest } = t;
  // A time agents wrote as an instant only (`date_time` with Z) keeps its instant.
  return rest.date || rest.date_time ? rest : { date_time: at };
}

// ---- Agents' errors -------------------------------------------------------------------------

/** The form field a field of agents' 422 belongs to. */
export function formFieldOf(serverField: string, allDay: boolean): FormField {
  const head = serverField.split('.')[0];
  switch (head) {
    case 'summary':
    case 'location':
    case 'description':
      return head;
    case 'start':
      return allDay ? 'date' : 'start';
    case 'end':
    case 'duration':
      return allDay ? 'endDate' : 'end';
    case 'recurrence':
      return 'repeat';
    case 'alarms':
      return 'reminders';
    case 'calendar_id':
      return 'calendar';
    default:
      return 'form';
  }
}

/** Agents' field errors gathered under the form's fields. */
export function formErrors(fields: Record<string, string[]>, allDay: boolean, fallback?: string): FieldErrors {
  const errors: FieldErrors = {};
  for (const [field, messages] of Object.entries(fields)) {
    const to = formFieldOf(field, allDay);
    const shown = to === 'form' ? messages.map((m) => `${field} ${m}`) : messages.map((m) => m.charAt(0).toUpperCase() + m.slice(1));
    (errors[to] ??= []).push(...shown);
  }
  if (Object.keys(errors).length === 0 && fallback) errors.form = [fallback];
  return errors;
}
