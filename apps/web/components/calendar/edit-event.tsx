'use client';
// Changing an opened occurrence: the event form filled with it (a recurring one's repeat read
// from the series, fetched whole), then — for a recurring event — which events the change is
// for. Only what was changed is sent, with the ETag the person saw (If-Match): if the event
// changed on another device since, agents answers 412, nothing is overwritten, and the person is
// offered a reload. Agents' 422 is shown under the fields it names.

import { useEffect, useMemo, useState } from 'react';

import { dateLabel, eventPath, spanOf, type Scope } from '@/lib/calendar';
import { customRepeatLabel, editBody, formErrors, formFromOccurrence, reminderChoices, repeatChanged, type EventForm, type FieldErrors } from '@/lib/event-form';
import { api, ApiError } from '@/lib/client/api';
import type { CalendarItem, Occurrence } from '@/lib/types';

import { ChangedElsewhere } from './changed-elsewhere';
import { EventFields } from './event-form';

const SCOPES: { scope: Scope; label: string }[] = [
  { scope: 'this', label: 'This event' },
  { scope: 'following', label: 'This and following' },
  { scope: 'all', label: 'All events' },
];

export function EditEvent({
  occurrence: o,
  zone,
  onCancel,
  onSaved,
  onReload,
}: {
  occurrence: Occurrence;
  zone: string;
  onCancel: () => void;
  onSaved: (message: string) => void;
  onReload: () => void;
}) {
  const recurring = o.recurring && !!o.occurrence;
  // The series (a recurring event's repeat and first start); null when there is none to read.
  const [series, setSeries] = useState<CalendarItem | null | undefined>(recurring ? undefined : null);
  const [loadError, setLoadError] = useState<{ message: string; gone: boolean } | null>(null);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [stale, setStale] = useState(false);
  // The values waiting for the answer to "which events?".
  const [pending, setPending] = useState<EventForm | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (!recurring) return;
    let live = true;
    api<CalendarItem>(`/agents/v1/events/${encodeURIComponent(o.event_id)}`)
      .then((s) => live && setSeries(s))
      .catch((e: unknown) => live && setLoadError({ message: (e as Error).message, gone: e instanceof ApiError && e.status === 404 }));
    return () => {
      live = false;
    };
  }, [recurring, o.event_id]);

  const initial = useMemo(() => (series === undefined ? null : formFromOccurrence(o, zone, series)), [o, zone, series]);
  const reminders = useMemo(() => reminderChoices(o.alarms, zone), [o.alarms, zone]);
  // The series read now is not the one the page showed: a save would be refused; say so at once.
  const changedSince = stale || (series != null && series.etag !== o.etag);

  if (loadError) return <ChangedElsewhere message={loadError.gone ? 'This event is no longer there — reload to see the calendar as it is now.' : loadError.message} onReload={onReload} />;
  if (!initial) {
    return (
      <p className="flex items-center gap-2 text-sm" role="status">
        <span className="loading loading-spinner loading-sm" aria-hidden="true" /> Reading the event…
      </p>
    );
  }

  function submit(values: EventForm) {
    if (!initial) return;
    setStale(false);
    // Checked as a series-wide change first: what is wrong whatever the scope, or nothing to do.
    const checked = editBody(initial, values, { occurrence: o, series, scope: recurring ? 'following' : 'all' });
    if ('errors' in checked) {
      setErrors(checked.errors);
      return;
    }
    if (Object.keys(checked.body).length === 0) {
      setErrors({ form: ['Nothing has changed.'] });
      return;
    }
    setErrors({});
    if (recurring) setPending(values);
    else void save(values, 'all');
  }

  async function save(values: EventForm, scope: Scope) {
    if (!initial) return;
    const built = editBody(initial, values, { occurrence: o, series, scope });
    setPending(null);
    if ('errors' in built) {
      setErrors(built.errors);
      return;
    }
    setBusy(true);
    try {
      await api(eventPath(o, scope), { method: 'PATCH', body: built.body, headers: { 'if-match': o.etag } });
      const name = values.summary.trim() || o.summary || '(no title)';
      const day = dateLabel(spanOf(o, zone).startDate, 'short');
      onSaved(scope === 'this' && recurring ? `Saved “${name}” on ${day}.` : scope === 'following' ? `Saved “${name}” from ${day} on.` : `Saved “${name}”.`);
    } catch (e) {
      if (e instanceof ApiError && e.status === 412) {
        setStale(true);
      } else {
        const fields = e instanceof ApiError ? e.fields : {};
        setErrors(formErrors(fields, values.allDay, Object.keys(fields).length ? undefined : (e as Error).message));
      }
    } finally {
      setBusy(false);
    }
  }

  const oneOnly = pending !== null && repeatChanged(initial, pending);
  return (
    <EventFields
      initial={initial}
      reminders={reminders}
      customRepeat={customRepeatLabel(series?.recurrence ?? null, zone)}
      errors={errors}
      busy={busy || changedSince}
      submitLabel="Save"
      onSubmit={submit}
      onCancel={onCancel}
      actions={pending === null}
    >
      {changedSince && <ChangedElsewhere onReload={onReload} />}
      {pending && (
        <div role="group" aria-labelledby="edit-scope-title" className="rounded-box border border-base-300 p-3">
          <p id="edit-scope-title" className="mb-2 text-sm font-semibold">
            This event repeats. Save the change for:
          </p>
          <div className="flex flex-wrap gap-2">
            {SCOPES.map(({ scope, label }) => (
              <button
                key={scope}
                type="button"
                className="btn btn-sm btn-primary"
                disabled={busy || (scope === 'this' && oneOnly)}
                // The question replaced the Save button that had the focus.
                autoFocus={scope === (oneOnly ? 'following' : 'this')}
                onClick={() => void save(pending, scope)}
              >
                {label}
              </button>
            ))}
            <button type="button" className="btn btn-sm btn-ghost" onClick={() => setPending(null)}>
              Back
            </button>
          </div>
          {oneOnly && <p className="mt-2 text-xs opacity-80">A new repeat is for this and the following events, or all of them.</p>}
        </div>
      )}
    </EventFields>
  );
}
