// An occurrence's name as the views show it: struck through when cancelled, marked when it
// repeats (said in words to screen readers).

import type { Occurrence } from '@/lib/types';

/** `narrowTime`: the time only where there is room (a month cell on a phone has none). */
export function EventLabel({ occurrence, time, narrowTime = false }: { occurrence: Occurrence; time?: string; narrowTime?: boolean }) {
  const cancelled = occurrence.status === 'cancelled';
  return (
    <>
      {time && <span className={`tabular-nums ${narrowTime ? 'sr-only sm:not-sr-only' : ''}`}>{time} </span>}
      {/* Before the name, so that it shows when a narrow cell cuts the name short. */}
      {occurrence.recurring && (
        <span aria-hidden="true" title="Repeats">
          ↻{' '}
        </span>
      )}
      <span className={cancelled ? 'line-through' : undefined}>{occurrence.summary || '(no title)'}</span>
      {occurrence.recurring && <span className="sr-only">, repeats</span>}
      {cancelled && <span className="sr-only">, cancelled</span>}
    </>
  );
}

/** The colour a calendar's events are marked with. */
export function colourOf(colours: Map<string, string | null>, calendarId: string): string {
  return colours.get(calendarId) ?? 'var(--color-primary)';
}
