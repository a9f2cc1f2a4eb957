'use client';
// The three ways to see the calendar, drawn from occurrences already placed on their days (in
// the person's zone): the agenda (days with something on, as a list), the week (seven columns,
// events at their times, an all-day row) and the month (a grid of whole weeks).

import Link from 'next/link';
import { useEffect, useRef } from 'react';

import { dateLabel, hhmm, MIN_DRAWN_MINUTES, MINUTES_PER_DAY, segmentTime, viewHref, WEEKDAYS_LONG, WEEKDAYS_SHORT, type Segment } from '@/lib/calendar';
import type { Occurrence } from '@/lib/types';

import { colourOf, EventLabel } from './event-label';

export interface ViewProps {
  days: string[];
  placed: Map<string, Segment[]>;
  today: string;
  zone: string;
  colours: Map<string, string | null>;
  onOpen: (occurrence: Occurrence) => void;
}

function dayHeading(date: string, today: string): string {
  const label = dateLabel(date, 'day');
  return date === today ? `Today, ${label}` : label;
}

export function Agenda({ days, placed, today, zone, colours, onOpen }: ViewProps) {
  const busy = days.filter((d) => (placed.get(d) ?? []).length > 0);
  if (busy.length === 0) return <p className="rounded-box bg-base-100 p-6 text-center opacity-80 shadow-sm">Nothing on in these {days.length} days.</p>;
  return (
    <div className="space-y-4">
      {busy.map((d) => (
        <section key={d} aria-labelledby={`agenda-${d}`} data-date={d}>
          <h3 id={`agenda-${d}`} className={`mb-1 text-sm font-semibold ${d === today ? 'text-primary' : ''}`}>
            {dayHeading(d, today)}
          </h3>
          <ul className="divide-y divide-base-300 rounded-box bg-base-100 shadow-sm">
            {(placed.get(d) ?? []).map((s) => (
              <li key={`${s.occurrence.event_id}/${s.occurrence.occurrence ?? ''}`}>
                <button
                  type="button"
                  data-testid="event"
                  className="flex w-full items-start gap-3 border-l-4 px-3 py-2 text-left hover:bg-base-200 focus-visible:bg-base-200"
                  style={{ borderLeftColor: colourOf(colours, s.occurrence.calendar_id) }}
                  onClick={() => onOpen(s.occurrence)}
                >
                  <span className="w-28 shrink-0 text-sm tabular-nums opacity-80">{segmentTime(s, zone)}</span>
                  <span className="min-w-0 flex-1">
                    <span className="block font-medium">
                      <EventLabel occurrence={s.occurrence} />
                    </span>
                    {s.occurrence.location && <span className="block truncate text-sm opacity-80">{s.occurrence.location}</span>}
                  </span>
                  {s.occurrence.status === 'cancelled' && <span className="badge badge-sm badge-ghost">cancelled</span>}
                  {s.occurrence.status === 'tentative' && <span className="badge badge-sm badge-ghost">tentative</span>}
                </button>
              </li>
            ))}
          </ul>
        </section>
      ))}
    </div>
  );
}

/** Pixels per hour in the week's time grid. */
const HOUR = 44;
const px = (minutes: number) => (minutes / 60) * HOUR;

export function Week({ days, placed, today, zone, colours, onOpen }: ViewProps) {
  const scroller = useRef<HTMLDivElement>(null);
  // Open an hour before the week's first event, or at 07:00 when it has none.
  const starts = days.flatMap((d) => (placed.get(d) ?? []).filter((s) => !s.allDay).map((s) => s.top));
  const anchor = starts.length > 0 ? Math.min(...starts) - 60 : 7 * 60;
  const weekStart = days[0];
  useEffect(() => {
    if (scroller.current) scroller.current.scrollTop = Math.max(0, px(anchor));
  }, [weekStart, anchor]);
  const columns = 'grid grid-cols-[3.5rem_repeat(7,minmax(0,1fr))]';
  return (
    <div className="relative overflow-x-auto rounded-box bg-base-100 shadow-sm">
      <div className="min-w-[44rem]">
        <div className={`${columns} border-b border-base-300`}>
          <span />
          {days.map((d, i) => (
            <div key={d} className="border-l border-base-300 px-1 py-2 text-center text-sm">
              <span className="sr-only">{dateLabel(d, 'day')}</span>
              <span aria-hidden="true">
                {WEEKDAYS_SHORT[i]}{' '}
                <span className={d === today ? 'badge badge-sm badge-primary' : 'font-semibold'}>{Number(d.slice(8))}</span>
              </span>
            </div>
          ))}
        </div>
        <div className={`${columns} border-b border-base-300`}>
          <span className="self-center px-1 text-xs opacity-80">All day</span>
          {days.map((d, i) => (
            <ul key={d} aria-label={`${WEEKDAYS_LONG[i]} ${dateLabel(d, 'dayMonth')}, all day`} className="min-h-8 space-y-0.5 border-l border-base-300 p-0.5" data-date={d} data-row="all-day">
              {(placed.get(d) ?? [])
                .filter((s) => s.allDay)
                .map((s) => (
                  <li key={`${s.occurrence.event_id}/${s.occurrence.occurrence ?? ''}`}>
                    <button
                      type="button"
                      data-testid="event"
                      className="block w-full truncate rounded-sm border-l-4 bg-primary/15 px-1 text-left text-xs"
                      style={{ borderLeftColor: colourOf(colours, s.occurrence.calendar_id) }}
                      onClick={() => onOpen(s.occurrence)}
                    >
                      <EventLabel occurrence={s.occurrence} />
                    </button>
                  </li>
                ))}
            </ul>
          ))}
        </div>
        <div ref={scroller} role="region" aria-label={`Times, in ${zone}`} tabIndex={0} className="max-h-[60dvh] overflow-y-auto">
          <div className={`${columns} relative`} style={{ height: px(MINUTES_PER_DAY) }}>
            <div aria-hidden="true" className="relative">
              {Array.from({ length: 23 }, (_, h) => (
                <span key={h} className="absolute right-1 -translate-y-1/2 text-xs tabular-nums opacity-80" style={{ top: px((h + 1) * 60) }}>
                  {hhmm((h + 1) * 60)}
                </span>
              ))}
            </div>
            {days.map((d, i) => (
              <ul
                key={d}
                aria-label={`${WEEKDAYS_LONG[i]} ${dateLabel(d, 'dayMonth')}`}
                data-date={d}
                className={`relative border-l border-base-300 ${d === today ? 'bg-primary/5' : ''}`}
                style={{ backgroundImage: `repeating-linear-gradient(to bottom, var(--color-base-300) 0 1px, transparent 1px ${HOUR}px)` }}
              >
                {(placed.get(d) ?? [])
                  .filter((s) => !s.allDay)
                  .map((s) => (
                    <li
                      key={`${s.occurrence.event_id}/${s.occurrence.occurrence ?? ''}`}
                      className="absolute px-px"
                      style={{
                        top: px(s.top),
                        height: px(Math.max(s.bottom - s.top, MIN_DRAWN_MINUTES)),
                        left: `${(s.lane / s.lanes) * 100}%`,
                        width: `${100 / s.lanes}%`,
                      }}
                      data-top={s.top}
                    >
                      <button
                        type="button"
                        data-testid="event"
                        className="h-full w-full overflow-hidden rounded-sm border-l-4 bg-primary/15 px-1 text-left align-top text-xs leading-tight hover:bg-primary/25"
                        style={{ borderLeftColor: colourOf(colours, s.occurrence.calendar_id) }}
                        onClick={() => onOpen(s.occurrence)}
                      >
                        <EventLabel occurrence={s.occurrence} time={segmentTime(s, zone)} />
                      </button>
                    </li>
                  ))}
              </ul>
            ))}
          </div>
        </div>
      </div>
    </div>
  );
}

/** Events shown in a month cell before "+N more". */
const MONTH_CELL_EVENTS = 3;

export function Month({ days, placed, today, zone, colours, onOpen, month }: ViewProps & { month: string }) {
  const weeks = Array.from({ length: days.length / 7 }, (_, w) => days.slice(w * 7, w * 7 + 7));
  return (
    <div className="relative overflow-x-auto rounded-box bg-base-100 shadow-sm">
      <table className="w-full table-fixed border-collapse">
        <caption className="sr-only">{dateLabel(`${month}-01`, 'month')}</caption>
        <thead>
          <tr>
            {WEEKDAYS_SHORT.map((d, i) => (
              <th key={d} scope="col" abbr={WEEKDAYS_LONG[i]} className="border-b border-base-300 py-2 text-sm font-semibold">
                {d}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {weeks.map((week) => (
            <tr key={week[0]}>
              {week.map((d) => {
                const segments = placed.get(d) ?? [];
                const outside = d.slice(0, 7) !== month;
                return (
                  <td key={d} data-date={d} className={`h-24 border border-base-300 p-0.5 align-top sm:p-1 ${outside ? 'bg-base-200' : ''}`}>
                    <Link
                      href={viewHref('agenda', d)}
                      aria-label={dayHeading(d, today)}
                      className={`mb-0.5 inline-block text-sm ${d === today ? 'badge badge-sm badge-primary' : 'px-1 hover:underline'}`}
                    >
                      {Number(d.slice(8))}
                    </Link>
                    <ul className="space-y-0.5">
                      {segments.slice(0, MONTH_CELL_EVENTS).map((s) => (
                        <li key={`${s.occurrence.event_id}/${s.occurrence.occurrence ?? ''}`}>
                          <button
                            type="button"
                            data-testid="event"
                            className="block w-full truncate rounded-sm border-l-4 bg-primary/15 px-1 text-left text-xs hover:bg-primary/25"
                            style={{ borderLeftColor: colourOf(colours, s.occurrence.calendar_id) }}
                            onClick={() => onOpen(s.occurrence)}
                          >
                            <EventLabel occurrence={s.occurrence} time={s.allDay || s.continued ? undefined : hhmm(s.top)} narrowTime />
                          </button>
                        </li>
                      ))}
                    </ul>
                    {segments.length > MONTH_CELL_EVENTS && (
                      <Link className="link text-xs" href={viewHref('agenda', d)}>
                        +{segments.length - MONTH_CELL_EVENTS} more
                      </Link>
                    )}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
      <p className="sr-only">Times in {zone}.</p>
    </div>
  );
}
