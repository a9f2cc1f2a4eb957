'use client';
// One occurrence opened: what, when (in the person's zone), where, its reminders; changing it
// (the event form, edit-event.tsx) and deleting it — for a repeating event this one, this and
// the following, or all. Both carry the ETag the listing gave (If-Match), so an event changed on
// another device since is neither changed nor deleted blindly.

import { useState } from 'react';

import { alarmLabel, dateLabel, eventPath, spanOf, timeLabel, type Scope } from '@/lib/calendar';
import { api, ApiError } from '@/lib/client/api';
import type { CalendarInfo, Occurrence } from '@/lib/types';

import { ChangedElsewhere, STALE_MESSAGE } from './changed-elsewhere';
import { EditEvent } from './edit-event';
import { EventLabel } from './event-label';
import { Modal } from './modal';

export function EventDialog({
  occurrence,
  zone,
  calendars,
  onClose,
  onDeleted,
  onSaved,
  onReload,
}: {
  occurrence: Occurrence;
  zone: string;
  calendars: CalendarInfo[];
  onClose: () => void;
  onDeleted: (message: string) => void;
  onSaved: (message: string) => void;
  onReload: () => void;
}) {
  const [editing, setEditing] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ message: string; stale: boolean } | null>(null);
  const o = occurrence;
  const span = spanOf(o, zone);
  const calendar = calendars.find((c) => c.id === o.calendar_id);
  const name = o.summary || '(no title)';

  async function remove(scope: Scope) {
    setBusy(true);
    setError(null);
    try {
      await api(eventPath(o, scope), { method: 'DELETE', headers: { 'if-match': o.etag } });
      onDeleted(scope === 'this' ? `Deleted “${name}” on ${dateLabel(span.startDate, 'short')}.` : scope === 'following' ? `Deleted “${name}” from ${dateLabel(span.startDate, 'short')} on.` : `Deleted “${name}”.`);
    } catch (e) {
      const stale = e instanceof ApiError && e.status === 412;
      setError({ message: stale ? STALE_MESSAGE : (e as Error).message, stale });
    } finally {
      setBusy(false);
    }
  }

  if (editing) {
    return (
      <Modal title="Edit event" onClose={onClose}>
        <EditEvent occurrence={o} zone={zone} onCancel={() => setEditing(false)} onSaved={onSaved} onReload={onReload} />
      </Modal>
    );
  }

  return (
    <Modal title={<EventLabel occurrence={o} />} onClose={onClose}>
      <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-sm" data-testid="event-details">
        <dt className="opacity-80">When</dt>
        <dd>
          {dateLabel(span.startDate, 'long')}, {timeLabel(o, zone)}
          {!span.allDay && <span className="opacity-80"> ({zone})</span>}
        </dd>
        {o.recurring && (
          <>
            <dt className="opacity-80">Repeats</dt>
            <dd>Yes, this is one occurrence of a series</dd>
          </>
        )}
        {o.location && (
          <>
            <dt className="opacity-80">Where</dt>
            <dd>{o.location}</dd>
          </>
        )}
        {o.status && (
          <>
            <dt className="opacity-80">Status</dt>
            <dd>{o.status}</dd>
          </>
        )}
        {o.alarms.length > 0 && (
          <>
            <dt className="opacity-80">{o.alarms.length > 1 ? 'Reminders' : 'Reminder'}</dt>
            <dd>{o.alarms.map((a) => alarmLabel(a, zone)).join(', ')}</dd>
          </>
        )}
        {calendar && (
          <>
            <dt className="opacity-80">Calendar</dt>
            <dd>{calendar.name}</dd>
          </>
        )}
      </dl>
      {o.description && <p className="mt-3 whitespace-pre-wrap text-sm">{o.description}</p>}
      {error && <ChangedElsewhere message={error.message} onReload={error.stale ? onReload : undefined} />}
      <div className="modal-action flex-wrap">
        <button type="button" className="btn btn-sm btn-primary" disabled={busy} onClick={() => setEditing(true)}>
          Edit
        </button>
        {o.recurring && o.occurrence ? (
          <>
            <button type="button" className="btn btn-sm btn-error btn-outline" disabled={busy} onClick={() => void remove('this')}>
              Delete this occurrence
            </button>
            <button type="button" className="btn btn-sm btn-error btn-outline" disabled={busy} onClick={() => void remove('following')}>
              Delete this and following
            </button>
            <button type="button" className="btn btn-sm btn-error btn-outline" disabled={busy} onClick={() => void remove('all')}>
              Delete all occurrences
            </button>
          </>
        ) : (
          <button type="button" className="btn btn-sm btn-error btn-outline" disabled={busy} onClick={() => void remove('all')}>
            Delete event
          </button>
        )}
        <form method="dialog">
          <button type="submit" className="btn btn-sm">
            Close
          </button>
        </form>
      </div>
    </Modal>
  );
}
