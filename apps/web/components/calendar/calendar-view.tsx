'use client';
// The calendar: the view the URL asks for (`?view=agenda|week|month&date=`), its navigation,
// and the dialogs to make an event and to open (change, delete) one. The page's server component
// fetched the occurrences; after a change its data is fetched again (`router.refresh()`, no full
// reload), so every view shows the change.

import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useMemo, useState, useTransition } from 'react';

import { dateLabel, placeByDay, step, viewHref, viewTitle, VIEWS, type View } from '@/lib/calendar';
import type { CalendarInfo, Occurrence } from '@/lib/types';

import { EventDialog } from './event-dialog';
import { NewEvent } from './new-event';
import { Agenda, Month, Week } from './views';

const VIEW_NAMES: Record<View, string> = { agenda: 'Agenda', week: 'Week', month: 'Month' };
const STEP_NAMES: Record<View, string> = { agenda: '14 days', week: 'week', month: 'month' };

export function CalendarView({
  view,
  date,
  today,
  zone,
  days,
  occurrences,
  calendars,
}: {
  view: View;
  date: string;
  today: string;
  zone: string;
  days: string[];
  occurrences: Occurrence[];
  calendars: CalendarInfo[];
}) {
  const router = useRouter();
  const [refreshing, startRefresh] = useTransition();
  const [open, setOpen] = useState<Occurrence | null>(null);
  const [creating, setCreating] = useState(false);
  const [flash, setFlash] = useState<string | null>(null);

  const placed = useMemo(() => placeByDay(occurrences, days, zone), [occurrences, days, zone]);
  const colours = useMemo(() => new Map(calendars.map((c) => [c.id, c.colour])), [calendars]);
  const refresh = () => startRefresh(() => router.refresh());
  const props = { days, placed, today, zone, colours, onOpen: (o: Occurrence) => setOpen(o) };
  const showsToday = days.includes(today);

  return (
    <section aria-labelledby="calendar-title" className="space-y-3" aria-busy={refreshing}>
      <div className="flex flex-wrap items-center gap-2">
        <nav aria-label="Calendar views" className="join">
          {VIEWS.map((v) => (
            <Link key={v} href={viewHref(v, date)} className={`btn btn-sm join-item ${v === view ? 'btn-active' : ''}`} aria-current={v === view ? 'page' : undefined}>
              {VIEW_NAMES[v]}
            </Link>
          ))}
        </nav>
        <nav aria-label="Dates" className="flex items-center gap-1">
          <Link className="btn btn-sm btn-ghost" href={viewHref(view, step(view, date, -1))} aria-label={`Previous ${STEP_NAMES[view]}`}>
            ‹
          </Link>
          <Link className="btn btn-sm" href={viewHref(view, today)} aria-current={showsToday ? 'date' : undefined}>
            Today
          </Link>
          <Link className="btn btn-sm btn-ghost" href={viewHref(view, step(view, date, 1))} aria-label={`Next ${STEP_NAMES[view]}`}>
            ›
          </Link>
        </nav>
        <h2 id="calendar-title" className="flex-1 text-lg font-semibold" data-testid="calendar-title">
          {viewTitle(view, date)}
        </h2>
        <button type="button" className="btn btn-sm btn-primary" onClick={() => setCreating(true)}>
          New event
        </button>
      </div>
      {flash && (
        <div role="status" className="alert alert-success alert-soft">
          <span>{flash}</span>
        </div>
      )}
      {view === 'agenda' && <Agenda {...props} />}
      {view === 'week' && <Week {...props} />}
      {view === 'month' && <Month {...props} month={date.slice(0, 7)} />}
      <p className="text-xs opacity-80">
        Times are in {zone} (<Link className="link" href="/settings">change</Link>). ↻ marks an event that repeats.
      </p>
      {creating && (
        <NewEvent
          date={showsToday ? today : date}
          zone={zone}
          calendars={calendars}
          onClose={() => setCreating(false)}
          onCreated={(event) => {
            setCreating(false);
            const when = event.start?.date ?? event.start?.date_time?.slice(0, 10);
            setFlash(`Created “${event.summary ?? ''}”${when ? ` on ${dateLabel(when, 'short')}` : ''}.`);
            refresh();
          }}
        />
      )}
      {open && (
        <EventDialog
          occurrence={open}
          zone={zone}
          calendars={calendars}
          onClose={() => setOpen(null)}
          onDeleted={(message) => {
            setOpen(null);
            setFlash(message);
            refresh();
          }}
          onSaved={(message) => {
            setOpen(null);
            setFlash(message);
            refresh();
          }}
          onReload={() => {
            setOpen(null);
            setFlash(null);
            refresh();
          }}
        />
      )}
    </section>
  );
}
