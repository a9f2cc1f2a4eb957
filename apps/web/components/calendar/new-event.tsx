'use client';
// The new-event form: a name, a day, times or all day, how it repeats (an RRULE), where, and a
// reminder some minutes before. What is wrong is said under the field it concerns, whether the
// form found it or agents did (its 422 names fields).

import { useId, useState } from 'react';

import { eventBody, formErrors, repeatLabel, type EventForm, type FieldErrors, type FormField, type Repeat } from '@/lib/calendar';
import { api, ApiError } from '@/lib/client/api';
import type { CalendarInfo, CalendarItem } from '@/lib/types';

import { Modal } from './modal';

const REPEATS: Repeat[] = ['none', 'daily', 'weekly', 'monthly', 'yearly'];

export function NewEvent({
  date,
  zone,
  calendars,
  onClose,
  onCreated,
}: {
  date: string;
  zone: string;
  calendars: CalendarInfo[];
  onClose: () => void;
  onCreated: (event: CalendarItem) => void;
}) {
  const id = useId();
  const [allDay, setAllDay] = useState(false);
  const [repeat, setRepeat] = useState<Repeat>('none');
  const [day, setDay] = useState(date);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [busy, setBusy] = useState(false);

  const fid = (field: FormField) => `${id}-${field}`;
  /** An input's error wiring: `aria-invalid` and the message it is described by. */
  const wired = (field: FormField) => (errors[field] ? { 'aria-invalid': true, 'aria-describedby': `${fid(field)}-error` } : {});
  const problem = (field: FormField) =>
    errors[field] && (
      <p id={`${fid(field)}-error`} className="text-sm text-error" data-testid={`error-${field}`}>
        {errors[field].join(' ')}
      </p>
    );

  async function submit(form: HTMLFormElement) {
    const data = new FormData(form);
    const get = (k: string) => String(data.get(k) ?? '');
    const values: EventForm = {
      summary: get('summary'),
      date: get('date'),
      allDay,
      start: get('start'),
      end: get('end'),
      repeat,
      count: get('count'),
      location: get('location'),
      reminder: get('reminder'),
      calendarId: get('calendar') || undefined,
    };
    const built = eventBody(values, zone);
    if ('errors' in built) {
      setErrors(built.errors);
      return;
    }
    setErrors({});
    setBusy(true);
    try {
      onCreated(await api<CalendarItem>('/agents/v1/events', { body: built.body }));
    } catch (e) {
      const fields = e instanceof ApiError ? e.fields : {};
      setErrors(formErrors(fields, allDay, Object.keys(fields).length ? undefined : (e as Error).message));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Modal title="New event" onClose={onClose}>
      <form
        noValidate
        className="flex flex-col gap-3"
        onSubmit={(e) => {
          e.preventDefault();
          void submit(e.currentTarget);
        }}
      >
        <div>
          <label className="floating-label">
            <span>Name</span>
            <input id={fid('summary')} className="input w-full" name="summary" maxLength={500} placeholder="Name" autoComplete="off" {...wired('summary')} />
          </label>
          {problem('summary')}
        </div>
        {calendars.length > 1 && (
          <div>
            <label className="select w-full">
              <span className="label">Calendar</span>
              <select name="calendar" defaultValue={calendars[0].id} {...wired('calendar')}>
                {calendars.map((c) => (
                  <option key={c.id} value={c.id}>
                    {c.name}
                  </option>
                ))}
              </select>
            </label>
            {problem('calendar')}
          </div>
        )}
        <fieldset className="flex flex-col gap-2">
          <legend className="sr-only">When</legend>
          <div className="flex flex-wrap items-center gap-2">
            <label className="input w-auto">
              <span className="label">Date</span>
              <input type="date" name="date" value={day} onChange={(e) => setDay(e.target.value)} {...wired('date')} />
            </label>
            <label className="flex items-center gap-2 text-sm">
              <input type="checkbox" className="toggle toggle-sm" name="all_day" checked={allDay} onChange={(e) => setAllDay(e.target.checked)} />
              All day
            </label>
          </div>
          {problem('date')}
          {!allDay && (
            <div className="flex flex-wrap gap-2">
              <div>
                <label className="input w-auto">
                  <span className="label">Starts</span>
                  <input type="time" name="start" defaultValue="09:00" {...wired('start')} />
                </label>
                {problem('start')}
              </div>
              <div>
                <label className="input w-auto">
                  <span className="label">Ends</span>
                  <input type="time" name="end" defaultValue="10:00" {...wired('end')} />
                </label>
                {problem('end')}
              </div>
            </div>
          )}
          <p className="text-xs opacity-80">Times are in {zone}; an end before the start is the next day.</p>
        </fieldset>
        <div className="flex flex-wrap gap-2">
          <div>
            <label className="select w-auto">
              <span className="label">Repeats</span>
              <select name="repeat" value={repeat} onChange={(e) => setRepeat(e.target.value as Repeat)} {...wired('repeat')}>
                {REPEATS.map((r) => (
                  <option key={r} value={r}>
                    {repeatLabel(r, day)}
                  </option>
                ))}
              </select>
            </label>
            {problem('repeat')}
          </div>
          {repeat !== 'none' && (
            <div>
              <label className="input w-auto">
                <span className="label">Times</span>
                <input type="number" name="count" min={1} max={1000} placeholder="no end" className="w-24" {...wired('count')} />
              </label>
              {problem('count')}
            </div>
          )}
        </div>
        <div>
          <label className="floating-label">
            <span>Where (optional)</span>
            <input className="input w-full" name="location" maxLength={500} placeholder="Where (optional)" {...wired('location')} />
          </label>
          {problem('location')}
        </div>
        <div>
          <label className="input w-auto">
            <span className="label">Remind me</span>
            <input type="number" name="reminder" min={0} max={40320} placeholder="—" className="w-20" {...wired('reminder')} />
            <span className="label">minutes before</span>
          </label>
          {problem('reminder')}
        </div>
        {errors.form && (
          <p role="alert" className="text-sm text-error">
            {errors.form.join(' ')}
          </p>
        )}
        {Object.keys(errors).length > 0 && !errors.form && (
          <p role="alert" className="sr-only">
            Some fields need another look.
          </p>
        )}
        <div className="modal-action">
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" disabled={busy}>
            Create event
          </button>
        </div>
      </form>
    </Modal>
  );
}
