'use client';
// The event form both making and changing an event use: a name, a day, times in a zone or all
// day (and the day it ends), how it repeats (an RRULE), where, notes, and reminders. What is
// wrong is said under the field it concerns, whether the form found it or agents did (its 422
// names fields). The values are the form's own until submitted; the caller decides what they mean.

import { useId, useMemo, useState } from 'react';

import { REPEATS, repeatLabel, type EventForm, type FieldErrors, type FormField, type ReminderChoice, type RepeatChoice } from '@/lib/event-form';
import type { CalendarInfo } from '@/lib/types';

/** The zones to choose from: the runtime's, with the ones in use first in line if it lacks them. */
function zonesWith(...inUse: string[]): string[] {
  let known: string[] = [];
  try {
    known = Intl.supportedValuesOf('timeZone');
  } catch {
    // An older engine: the zones in use are still offered.
  }
  return [...new Set([...inUse, ...known])].sort();
}

export function EventFields({
  initial,
  calendars = [],
  reminders,
  errors,
  busy,
  submitLabel,
  onSubmit,
  onCancel,
  customRepeat = 'Custom repeat',
  children,
  actions = true,
}: {
  initial: EventForm;
  /** Offered when there is more than one (a new event only: an event stays in its calendar). */
  calendars?: CalendarInfo[];
  reminders: ReminderChoice[];
  /** What the event's own repeat is called when the choices cannot say it (it is kept as it is). */
  customRepeat?: string;
  errors: FieldErrors;
  busy: boolean;
  submitLabel: string;
  onSubmit: (values: EventForm) => void;
  onCancel: () => void;
  /** Shown after the fields (an alert, the question which events a change is for). */
  children?: React.ReactNode;
  /** Whether to show Cancel and the submit button (not while `children` asks something). */
  actions?: boolean;
}) {
  const id = useId();
  const [values, setValues] = useState<EventForm>(initial);
  const set = <K extends keyof EventForm>(key: K, value: EventForm[K]) => setValues((v) => ({ ...v, [key]: value }));
  const zones = useMemo(() => zonesWith(initial.timeZone), [initial.timeZone]);
  const repeats: RepeatChoice[] = initial.repeat === 'custom' ? [...REPEATS, 'custom'] : [...REPEATS];

  const fid = (field: FormField) => `${id}-${field}`;
  /** An input's error wiring: `aria-invalid` and the message it is described by. */
  const wired = (field: FormField) => (errors[field] ? { 'aria-invalid': true, 'aria-describedby': `${fid(field)}-error` } : {});
  const problem = (field: FormField) =>
    errors[field] && (
      <p id={`${fid(field)}-error`} className="text-sm text-error" data-testid={`error-${field}`}>
        {errors[field].join(' ')}
      </p>
    );
  const text = (key: 'summary' | 'location' | 'description' | 'date' | 'endDate' | 'start' | 'end' | 'count') => ({
    value: values[key],
    onChange: (e: React.ChangeEvent<HTMLInputElement | HTMLTextAreaElement>) => set(key, e.target.value),
  });

  return (
    <form
      noValidate
      className="flex flex-col gap-3"
      onSubmit={(e) => {
        e.preventDefault();
        onSubmit(values);
      }}
    >
      <div>
        <label className="floating-label">
          <span>Name</span>
          <input id={fid('summary')} className="input w-full" name="summary" maxLength={500} placeholder="Name" autoComplete="off" autoFocus {...text('summary')} {...wired('summary')} />
        </label>
        {problem('summary')}
      </div>
      {calendars.length > 1 && (
        <div>
          <label className="select w-full">
            <span className="label">Calendar</span>
            <select name="calendar" value={values.calendarId ?? calendars[0].id} onChange={(e) => set('calendarId', e.target.value)} {...wired('calendar')}>
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
            <input type="date" name="date" {...text('date')} {...wired('date')} />
          </label>
          <label className="flex items-center gap-2 text-sm">
            <input type="checkbox" className="toggle toggle-sm" name="all_day" checked={values.allDay} onChange={(e) => set('allDay', e.target.checked)} />
            All day
          </label>
        </div>
        {problem('date')}
        {!values.allDay && (
          <div className="flex flex-wrap gap-2">
            <div>
              <label className="input w-auto">
                <span className="label">Starts</span>
                <input type="time" name="start" {...text('start')} {...wired('start')} />
              </label>
              {problem('start')}
            </div>
            <div>
              <label className="input w-auto">
                <span className="label">Ends</span>
                <input type="time" name="end" {...text('end')} {...wired('end')} />
              </label>
              {problem('end')}
            </div>
          </div>
        )}
        <div className="flex flex-wrap gap-2">
          <div>
            <label className="input w-auto">
              <span className="label">{values.allDay ? 'Last day' : 'End date'}</span>
              <input type="date" name="end_date" {...text('endDate')} {...wired('endDate')} />
            </label>
            {problem('endDate')}
          </div>
          {!values.allDay && (
            <div>
              {/* Named by its caption alone: inside a <label> its name would take in all 400 zones. */}
              <div className="select w-auto">
                <span className="label" id={fid('timeZone')}>
                  Time zone
                </span>
                <select name="time_zone" aria-labelledby={fid('timeZone')} value={values.timeZone} onChange={(e) => set('timeZone', e.target.value)} {...wired('timeZone')}>
                  {zones.map((z) => (
                    <option key={z} value={z}>
                      {z.replaceAll('_', ' ')}
                    </option>
                  ))}
                </select>
              </div>
              {problem('timeZone')}
            </div>
          )}
        </div>
        <p className="text-xs opacity-80">{values.allDay ? 'With no last day it lasts the one day.' : 'With no end date, an end before the start is the next day.'}</p>
      </fieldset>
      <div className="flex flex-wrap gap-2">
        <div>
          <label className="select w-auto">
            <span className="label">Repeats</span>
            <select name="repeat" value={values.repeat} onChange={(e) => set('repeat', e.target.value as RepeatChoice)} {...wired('repeat')}>
              {repeats.map((r) => (
                <option key={r} value={r}>
                  {r === 'custom' ? customRepeat : repeatLabel(r, values.date)}
                </option>
              ))}
            </select>
          </label>
          {problem('repeat')}
        </div>
        {values.repeat !== 'none' && values.repeat !== 'custom' && (
          <div>
            <label className="input w-auto">
              <span className="label">Times</span>
              <input type="number" name="count" min={1} max={1000} placeholder="no end" className="w-24" {...text('count')} {...wired('count')} />
            </label>
            {problem('count')}
          </div>
        )}
      </div>
      <div>
        <label className="floating-label">
          <span>Where (optional)</span>
          <input className="input w-full" name="location" maxLength={500} placeholder="Where (optional)" {...text('location')} {...wired('location')} />
        </label>
        {problem('location')}
      </div>
      <div>
        <label className="floating-label">
          <span>Notes (optional)</span>
          <textarea className="textarea w-full" name="description" rows={2} maxLength={10_000} placeholder="Notes (optional)" {...text('description')} {...wired('description')} />
        </label>
        {problem('description')}
      </div>
      <fieldset {...wired('reminders')}>
        <legend className="mb-1 text-sm">Reminders</legend>
        <div className="flex flex-wrap gap-x-4 gap-y-1">
          {reminders.map((r) => (
            <label key={r.key} className="flex items-center gap-2 text-sm">
              <input
                type="checkbox"
                className="checkbox checkbox-sm"
                name="reminders"
                value={r.key}
                checked={values.reminders.includes(r.key)}
                onChange={(e) => set('reminders', e.target.checked ? [...values.reminders, r.key] : values.reminders.filter((k) => k !== r.key))}
              />
              {r.label}
            </label>
          ))}
        </div>
        {problem('reminders')}
      </fieldset>
      {errors.form && (
        <p role="alert" className="text-sm text-error" data-testid="error-form">
          {errors.form.join(' ')}
        </p>
      )}
      {Object.keys(errors).length > 0 && !errors.form && (
        <p role="alert" className="sr-only">
          Some fields need another look.
        </p>
      )}
      {children}
      {actions && (
        <div className="modal-action">
          <button type="button" className="btn" onClick={onCancel}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {submitLabel}
          </button>
        </div>
      )}
    </form>
  );
}
