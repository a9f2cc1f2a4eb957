// The calendar page's pure parts: civil dates (`YYYY-MM-DD`, no zone), instants read as wall
// clock in the person's zone, the window each view asks for, occurrences placed in day columns
// and month cells, and alarms in words. (The event form's JSON is lib/event-form.ts.)
// Nothing here reads the machine's own zone: the server and the browser compute the same.

import type { CalTime, Occurrence } from './types';

export type View = 'agenda' | 'week' | 'month';
export const VIEWS: readonly View[] = ['agenda', 'week', 'month'];
export const AGENDA_DAYS = 14;
export const MINUTES_PER_DAY = 24 * 60;
const DAY_MS = 86_400_000;

// ---- Civil dates ----------------------------------------------------------------------------

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

function utcMs(date: string): number {
  const m = DATE_RE.exec(date);
  if (!m) throw new Error(`${JSON.stringify(date)} is not a date (YYYY-MM-DD)`);
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
}

function fromUtcMs(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Whether `text` is a real date written `YYYY-MM-DD` (not 2027-02-30). */
export function isDate(text: string): boolean {
  return DATE_RE.test(text) && fromUtcMs(utcMs(text)) === text;
}

export function addDays(date: string, days: number): string {
  return fromUtcMs(utcMs(date) + days * DAY_MS);
}

/** The same day `months` later, kept within the month (31 January + 1 → 28 or 29 February). */
export function addMonths(date: string, months: number): string {
  const [y, m, d] = date.split('-').map(Number);
  const first = new Date(Date.UTC(y, m - 1 + months, 1));
  const last = new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + 1, 0)).getUTCDate();
  return fromUtcMs(Date.UTC(first.getUTCFullYear(), first.getUTCMonth(), Math.min(d, last)));
}

/** Days from `a` to `b` (negative when `b` is earlier). */
export function daysBetween(a: string, b: string): number {
  return Math.round((utcMs(b) - utcMs(a)) / DAY_MS);
}

/** 0 for Monday to 6 for Sunday. */
export function weekday(date: string): number {
  return (new Date(utcMs(date)).getUTCDay() + 6) % 7;
}

/** The Monday on or before `date` (weeks start on Monday, as ISO 8601 has them). */
export function startOfWeek(date: string): string {
  return addDays(date, -weekday(date));
}

export function startOfMonth(date: string): string {
  return `${date.slice(0, 8)}01`;
}

export function dateRange(from: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => addDays(from, i));
}

// ---- Instants in a zone ---------------------------------------------------------------------

const partFormatters = new Map<string, Intl.DateTimeFormat>();

function partFormatter(zone: string): Intl.DateTimeFormat {
  let f = partFormatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    partFormatters.set(zone, f);
  }
  return f;
}

/** Whether `zone` is an IANA zone this runtime knows. */
export function isZone(zone: string): boolean {
  try {
    partFormatter(zone);
    return true;
  } catch {
    return false;
  }
}

/** A wall-clock moment: its date and the minutes since that day's midnight. */
export interface Wall {
  date: string;
  minutes: number;
}

function wallParts(ms: number, zone: string) {
  const parts: Record<string, number> = {};
  for (const p of partFormatter(zone).formatToParts(new Date(ms))) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  // Some engines write midnight as 24 even with h23.
  const hour = parts.hour === 24 ? 0 : parts.hour;
  return { year: parts.year, month: parts.month, day: parts.day, hour, minute: parts.minute, second: parts.second };
}

/** `instant` as wall-clock time in `zone`. */
export function wallTime(instant: string | number | Date, zone: string): Wall {
  const ms = new Date(instant).getTime();
  if (Number.isNaN(ms)) throw new Error(`${JSON.stringify(instant)} is not an instant`);
  const p = wallParts(ms, zone);
  const date = `${String(p.year).padStart(4, '0')}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`;
  return { date, minutes: p.hour * 60 + p.minute };
}

/** How far `zone`'s wall clock is ahead of UTC at `ms`, in milliseconds. */
function offsetAt(ms: number, zone: string): number {
  const p = wallParts(ms, zone);
  const whole = Math.floor(ms / 1000) * 1000;
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - whole;
}

/**
 * The instant `zone`'s clock reads `minutes` after midnight of `date`. A time the clock skips
 * (spring forward) is read with the offset before the change, so it lands just after the gap;
 * a time it shows twice (fall back) is the first of the two.
 */
export function zonedInstant(date: string, minutes: number, zone: string): Date {
  const wall = utcMs(date) + minutes * 60_000;
  const before = offsetAt(wall - DAY_MS, zone);
  const after = offsetAt(wall + DAY_MS, zone);
  const fits = [before, after].map((o) => wall - o).filter((t) => offsetAt(t, zone) === wall - t);
  if (fits.length > 0) return new Date(Math.min(...fits));
  return new Date(wall - before);
}

/** Today's date in `zone`. */
export function todayIn(zone: string, now: Date = new Date()): string {
  return wallTime(now, zone).date;
}

// ---- Words ----------------------------------------------------------------------------------

/** Minutes since midnight as `HH:MM` (24-hour: the same on the server and in every browser). */
export function hhmm(minutes: number): string {
  const m = ((minutes % MINUTES_PER_DAY) + MINUTES_PER_DAY) % MINUTES_PER_DAY;
  return `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
}

// Written out rather than through Intl: ICU versions differ (a comma here, a narrow space
// there), and the server's words must match the browser's when React hydrates the page.
const WEEKDAY_NAMES = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
const MONTH_NAMES = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

export type DateStyle = 'long' | 'day' | 'short' | 'weekday' | 'dayMonth' | 'month';

/**
 * A date in words: `long` "Tuesday 2 March 2027", `day` "Tuesday 2 March", `short` "Tue 2 Mar",
 * `weekday` "Tue", `dayMonth` "2 March", `month` "March 2027".
 */
export function dateLabel(date: string, style: DateStyle = 'day'): string {
  const [y, m, d] = date.split('-').map(Number);
  const wd = WEEKDAY_NAMES[weekday(date)];
  const month = MONTH_NAMES[m - 1];
  switch (style) {
    case 'long':
      return `${wd} ${d} ${month} ${y}`;
    case 'day':
      return `${wd} ${d} ${month}`;
    case 'short':
      return `${wd.slice(0, 3)} ${d} ${month.slice(0, 3)}`;
    case 'weekday':
      return wd.slice(0, 3);
    case 'dayMonth':
      return `${d} ${month}`;
    case 'month':
      return `${month} ${y}`;
  }
}

/** The weekday names, Monday first, short. */
export const WEEKDAYS_SHORT = WEEKDAY_NAMES.map((d) => d.slice(0, 3));
export const WEEKDAYS_LONG = WEEKDAY_NAMES;

/** The heading of a view: "March 2027", "1 – 7 March 2027", "30 March – 5 April 2027". */
export function viewTitle(view: View, date: string): string {
  if (view === 'month') return dateLabel(date, 'month');
  const days = viewDays(view, date);
  const [first, last] = [days[0], days[days.length - 1]];
  const year = last.slice(0, 4);
  if (first.slice(0, 7) === last.slice(0, 7)) return `${Number(first.slice(8))} – ${dateLabel(last, 'dayMonth')} ${year}`;
  const start = first.slice(0, 4) === year ? dateLabel(first, 'dayMonth') : `${dateLabel(first, 'dayMonth')} ${first.slice(0, 4)}`;
  return `${start} – ${dateLabel(last, 'dayMonth')} ${year}`;
}

/** When an occurrence is, in words, read in `zone`: "All day", "18:00–19:30", "23:00–01:00 (next day)". */
export function timeLabel(occurrence: Occurrence, zone: string): string {
  const span = spanOf(occurrence, zone);
  if (span.allDay) {
    const days = daysBetween(span.startDate, span.endDate) + 1;
    return days > 1 ? `All day, ${days} days` : 'All day';
  }
  const start = hhmm(span.startMinutes);
  if (occurrence.start.at === occurrence.end.at) return start;
  const end = hhmm(span.endMinutes);
  const atMidnight = span.endMinutes === MINUTES_PER_DAY;
  const days = daysBetween(span.startDate, span.endDate) + (atMidnight ? 1 : 0);
  // Ending at the midnight that closes its day is still that day's event.
  if (days === 0 || (days === 1 && atMidnight)) return `${start}–${end}`;
  return days === 1 ? `${start}–${end} (next day)` : `${start}–${end} (${dateLabel(addDays(span.startDate, days), 'short')})`;
}

/** A to-do's due date or time in words. */
export function dueLabel(due: CalTime | null, zone: string): string | null {
  if (!due) return null;
  if (due.date) return dateLabel(due.date, 'short');
  if (!due.at) return null;
  const w = wallTime(due.at, zone);
  return `${dateLabel(w.date, 'short')} ${hhmm(w.minutes)}`;
}

// ---- Views and their windows ----------------------------------------------------------------

/** The view and date a page's `?view=&date=` ask for; anything else is the agenda from today. */
export function parseView(params: Record<string, string | string[] | undefined>, today: string): { view: View; date: string } {
  const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);
  const raw = one(params.view);
  const view = VIEWS.includes(raw as View) ? (raw as View) : 'agenda';
  const date = one(params.date);
  return { view, date: date && isDate(date) ? date : today };
}

/** The days a view shows: the agenda's 14 from `date`, the week's Monday to Sunday, the month's whole weeks. */
export function viewDays(view: View, date: string): string[] {
  if (view === 'agenda') return dateRange(date, AGENDA_DAYS);
  if (view === 'week') return dateRange(startOfWeek(date), 7);
  const first = startOfWeek(startOfMonth(date));
  const last = addDays(startOfWeek(addDays(addMonths(startOfMonth(date), 1), -1)), 6);
  return dateRange(first, daysBetween(first, last) + 1);
}

/** The window (instants) to list events for a view's days, as wall-clock midnights in `zone`. */
export function windowOf(view: View, date: string, zone: string): { from: string; to: string; days: string[] } {
  const days = viewDays(view, date);
  const from = zonedInstant(days[0], 0, zone).toISOString();
  const to = zonedInstant(addDays(days[days.length - 1], 1), 0, zone).toISOString();
  return { from, to, days };
}

/** The date the previous (-1) or next (1) page of a view starts at. */
export function step(view: View, date: string, direction: -1 | 1): string {
  if (view === 'agenda') return addDays(date, direction * AGENDA_DAYS);
  if (view === 'week') return addDays(startOfWeek(date), direction * 7);
  return addMonths(startOfMonth(date), direction);
}

export function viewHref(view: View, date: string): string {
  return `/calendar?view=${view}&date=${date}`;
}

// ---- Placing occurrences --------------------------------------------------------------------

/** Where an occurrence lies on the wall clock of a zone: first and last day, minutes on each. */
export interface Span {
  allDay: boolean;
  startDate: string;
  startMinutes: number;
  /** The last day it covers (inclusive). */
  endDate: string;
  /** Minutes into `endDate` it ends (1440: at its end). */
  endMinutes: number;
}

/**
 * An occurrence's span. All-day ones keep their dates whatever the zone (their end date is
 * exclusive, as in iCalendar); timed ones are their instants read in `zone`, so an event that
 * ends at midnight does not spill into the next day, and one that crosses it covers both.
 */
export function spanOf(o: Occurrence, zone: string): Span {
  if (o.all_day && o.start.date) {
    const endExclusive = o.end.date && o.end.date > o.start.date ? o.end.date : addDays(o.start.date, 1);
    return { allDay: true, startDate: o.start.date, startMinutes: 0, endDate: addDays(endExclusive, -1), endMinutes: MINUTES_PER_DAY };
  }
  const startAt = o.start.at ?? o.end.at;
  if (!startAt) throw new Error(`occurrence ${o.uid} has no start instant`);
  const start = wallTime(startAt, zone);
  const endAt = o.end.at && new Date(o.end.at).getTime() > new Date(startAt).getTime() ? o.end.at : startAt;
  let end = wallTime(endAt, zone);
  if (end.minutes === 0 && end.date > start.date) end = { date: addDays(end.date, -1), minutes: MINUTES_PER_DAY };
  // A fall-back hour can make a short event end "before" it starts on the wall clock.
  if (end.date === start.date && end.minutes < start.minutes) end = { ...start };
  return { allDay: false, startDate: start.date, startMinutes: start.minutes, endDate: end.date, endMinutes: end.minutes };
}

/** An occurrence's part on one day: from `top` to `bottom` minutes after midnight. */
export interface Segment {
  occurrence: Occurrence;
  date: string;
  allDay: boolean;
  top: number;
  bottom: number;
  /** Begun on an earlier day / goes on to a later one. */
  continued: boolean;
  continues: boolean;
  /** Side by side with the segments it overlaps: its lane of `lanes`. */
  lane: number;
  lanes: number;
}

/** The occurrences on each of `days`, all-day ones first, then by start; overlaps get lanes. */
export function placeByDay(occurrences: Occurrence[], days: string[], zone: string): Map<string, Segment[]> {
  const byDay = new Map<string, Segment[]>(days.map((d) => [d, []]));
  if (days.length === 0) return byDay;
  const [first, last] = [days[0], days[days.length - 1]];
  for (const occurrence of occurrences) {
    let span: Span;
    try {
      span = spanOf(occurrence, zone);
    } catch {
      continue;
    }
    const from = span.startDate < first ? first : span.startDate;
    const to = span.endDate > last ? last : span.endDate;
    for (let d = from; d <= to; d = addDays(d, 1)) {
      byDay.get(d)?.push({
        occurrence,
        date: d,
        allDay: span.allDay,
        top: d === span.startDate ? span.startMinutes : 0,
        bottom: d === span.endDate ? span.endMinutes : MINUTES_PER_DAY,
        continued: d !== span.startDate,
        continues: d !== span.endDate,
        lane: 0,
        lanes: 1,
      });
    }
  }
  for (const segments of byDay.values()) {
    segments.sort((a, b) => Number(b.allDay) - Number(a.allDay) || a.top - b.top || b.bottom - a.bottom);
    assignLanes(segments.filter((s) => !s.allDay));
  }
  return byDay;
}

/** When a segment is on its day, in words: "18:00–19:30", "All day", "from 23:00", "until 01:30". */
export function segmentTime(s: Segment, zone: string): string {
  if (s.allDay || (s.continued && s.continues)) return 'All day';
  if (s.continued) return `until ${hhmm(s.bottom)}`;
  if (s.continues) return `from ${hhmm(s.top)}`;
  return timeLabel(s.occurrence, zone);
}

/** The shortest a timed event is drawn (minutes), so a zero-length one can still be read and hit. */
export const MIN_DRAWN_MINUTES = 20;

/** Gives overlapping timed segments (sorted by top) lanes side by side, each cluster its own count. */
export function assignLanes(segments: Segment[]): void {
  let cluster: Segment[] = [];
  let laneEnds: number[] = [];
  let clusterEnd = -1;
  const close = () => {
    for (const s of cluster) s.lanes = laneEnds.length;
    cluster = [];
    laneEnds = [];
  };
  for (const s of segments) {
    const bottom = Math.max(s.bottom, s.top + MIN_DRAWN_MINUTES);
    if (s.top >= clusterEnd) close();
    let lane = laneEnds.findIndex((end) => end <= s.top);
    if (lane === -1) {
      lane = laneEnds.length;
      laneEnds.push(bottom);
    } else {
      laneEnds[lane] = bottom;
    }
    s.lane = lane;
    cluster.push(s);
    clusterEnd = Math.max(clusterEnd, bottom);
  }
  close();
}

// ---- Changing occurrences -------------------------------------------------------------------

export type Scope = 'this' | 'following' | 'all';

/** The BFF path that deletes (or changes) `scope` of an occurrence's event. */
export function eventPath(o: Pick<Occurrence, 'event_id' | 'occurrence'>, scope: Scope): string {
  const q = new URLSearchParams({ scope });
  if (scope !== 'all' && o.occurrence) q.set('occurrence', o.occurrence);
  return `/agents/v1/events/${encodeURIComponent(o.event_id)}?${q}`;
}

/** The web app's own URL for a calendar's private feed (the feed route proxies agents'). */
export function feedUrl(origin: string, token: string): string {
  return `${origin.replace(/\/+$/, '')}/feeds/${encodeURIComponent(token)}.ics`;
}

/** An alarm in words: "15 minutes before", "1 hour 30 minutes before", "at the start", "1 day after the end". */
export function alarmLabel(alarm: { offset?: string; related?: string; at?: string }, zone: string): string {
  if (alarm.at) {
    const w = wallTime(alarm.at, zone);
    return `at ${dateLabel(w.date, 'short')} ${hhmm(w.minutes)}`;
  }
  const minutes = offsetMinutes(alarm.offset ?? '');
  if (minutes === null) return alarm.offset ?? 'a reminder';
  const anchor = alarm.related === 'end' ? 'the end' : 'the start';
  if (minutes === 0) return `at ${anchor}`;
  return `${lengthLabel(Math.abs(minutes))} ${minutes < 0 ? 'before' : 'after'}${alarm.related === 'end' ? ' the end' : ''}`;
}

/** A length in words: "1 week", "1 day 2 hours", "90 minutes" stays "1 hour 30 minutes". */
export function lengthLabel(minutes: number): string {
  const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'}`;
  if (minutes > 0 && minutes % (7 * MINUTES_PER_DAY) === 0) return plural(minutes / (7 * MINUTES_PER_DAY), 'week');
  const parts: string[] = [];
  const days = Math.floor(minutes / MINUTES_PER_DAY);
  const hours = Math.floor((minutes % MINUTES_PER_DAY) / 60);
  const mins = minutes % 60;
  if (days) parts.push(plural(days, 'day'));
  if (hours) parts.push(plural(hours, 'hour'));
  if (mins || parts.length === 0) parts.push(plural(mins, 'minute'));
  return parts.join(' ');
}

/** An ISO 8601 duration (`-PT15M`, `-P1DT2H`, `P1W`, `PT0S`) in whole minutes, negative before; null when unreadable. */
export function offsetMinutes(offset: string): number | null {
  const m = /^([+-])?P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/i.exec(offset.trim());
  if (!m || offset.trim().toUpperCase().endsWith('T') || !/\d/.test(offset)) return null;
  const [, sign, w, d, h, min, sec] = m;
  const total = (Number(w ?? 0) * 7 + Number(d ?? 0)) * MINUTES_PER_DAY + Number(h ?? 0) * 60 + Number(min ?? 0) + Math.floor(Number(sec ?? 0) / 60);
  return sign === '-' ? -total : total;
}
