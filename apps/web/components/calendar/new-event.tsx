'use client';
// A new event: the event form, empty (an hour from 09:00 in the person's zone), posted to agents.

import { useMemo, useState } from 'react';

import { blankForm, eventBody, formErrors, reminderChoices, type EventForm, type FieldErrors } from '@/lib/event-form';
import { api, ApiError } from '@/lib/client/api';
import type { CalendarInfo, CalendarItem } from '@/lib/types';

import { EventFields } from './event-form';
import { Modal } from './modal';

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
  const [errors, setErrors] = useState<FieldErrors>({});
  const [busy, setBusy] = useState(false);
  const initial = useMemo(() => ({ ...blankForm(date, zone), calendarId: calendars.length > 1 ? calendars[0].id : undefined }), [date, zone, calendars]);
  const reminders = useMemo(() => reminderChoices([], zone), [zone]);

  async function submit(values: EventForm) {
    const built = eventBody(values);
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
      setErrors(formErrors(fields, values.allDay, Object.keys(fields).length ? undefined : (e as Error).message));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Modal title="New event" onClose={onClose}>
      <EventFields initial={initial} calendars={calendars} reminders={reminders} errors={errors} busy={busy} submitLabel="Create event" onSubmit={(v) => void submit(v)} onCancel={onClose} />
    </Modal>
  );
}
