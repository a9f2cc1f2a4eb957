// The calendar: agenda, week or month (`?view=&date=`), in the person's zone (their profile's),
// with the open to-dos and the calendars' settings. Fetched here; the components act.

import { Calendars } from '@/components/calendar/calendars';
import { CalendarView } from '@/components/calendar/calendar-view';
import { Todos } from '@/components/calendar/todos';
import { PageHeader } from '@/components/page-header';
import { isZone, parseView, todayIn, viewHref, windowOf } from '@/lib/calendar';
import { serviceJson } from '@/lib/server/session';
import type { CalendarInfo, CalendarItem, Occurrence, Profile } from '@/lib/types';

export const metadata = { title: 'Calendar' };

export default async function CalendarPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const params = await searchParams;
  const profile = await serviceJson<Profile>('agents', '/v1/profile', '/calendar');
  const zone = isZone(profile.time_zone) ? profile.time_zone : 'UTC';
  const today = todayIn(zone);
  const { view, date } = parseView(params, today);
  const here = viewHref(view, date);
  const { from, to, days } = windowOf(view, date, zone);
  const [{ occurrences }, { todos }, { calendars }] = await Promise.all([
    serviceJson<{ occurrences: Occurrence[] }>('agents', `/v1/events?${new URLSearchParams({ from, to })}`, here),
    serviceJson<{ todos: CalendarItem[] }>('agents', '/v1/todos?status=open', here),
    serviceJson<{ calendars: CalendarInfo[] }>('agents', '/v1/calendars', here),
  ]);
  return (
    <>
      <PageHeader title="Calendar" />
      <div className="mx-auto w-full max-w-6xl space-y-6 p-4">
        <CalendarView key={here} view={view} date={date} today={today} zone={zone} days={days} occurrences={occurrences} calendars={calendars} />
        <div className="grid gap-4 lg:grid-cols-2">
          <Todos initial={todos} zone={zone} today={today} />
          <Calendars calendars={calendars} />
        </div>
      </div>
    </>
  );
}
