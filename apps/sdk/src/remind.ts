// The quick "remind me" composer the mobile and desktop apps share: one line of plain words
// ("in 10 minutes call Ada", "tomorrow at 9:30 dentist", "at 17:00 water the plants") turned into
// a one-off reminder for cron. What it cannot read is said, rather than guessed.

export interface ParsedReminder {
  title: string;
  at: Date;
}

const UNITS: Record<string, number> = {
  m: 60_000,
  min: 60_000,
  mins: 60_000,
  minute: 60_000,
  minutes: 60_000,
  h: 3_600_000,
  hr: 3_600_000,
  hrs: 3_600_000,
  hour: 3_600_000,
  hours: 3_600_000,
  d: 86_400_000,
  day: 86_400_000,
  days: 86_400_000,
};

/** "9", "9:30", "9pm", "21:15", "9.30 am" → [hour, minute], or null. */
function clock(text: string): [number, number] | null {
  const m = /^(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm)?$/i.exec(text.trim());
  if (!m) return null;
  let hour = Number(m[1]);
  const minute = m[2] ? Number(m[2]) : 0;
  const half = m[3]?.toLowerCase();
  if (half) {
    if (hour < 1 || hour > 12) return null;
    hour = (hour % 12) + (half === 'pm' ? 12 : 0);
  }
  return hour < 24 && minute < 60 ? [hour, minute] : null;
}

function cleanTitle(text: string): string {
  return text
    .replace(/^\s*(remind me\s+)?(to\s+|that\s+|about\s+)?/i, '')
    .replace(/\s+(to|that)\s*$/i, '')
    .trim();
}

/**
 * The reminder `line` asks for, from `now` in the device's time zone; throws an Error saying
 * what to write when the time cannot be read or is past.
 */
export function parseReminder(line: string, now: Date = new Date()): ParsedReminder {
  const text = line.trim().replace(/^remind me\s+/i, '');
  let at: Date | null = null;
  let rest = text;

  const relative = /(?:^|\s)in\s+(\d+|an?)\s*([a-z]+)\b/i.exec(text);
  const absolute = /(?:^|\s)(today|tomorrow)?\s*at\s+(\d{1,2}(?:[:.]\d{2})?\s*(?:am|pm)?)(?=\s|$)/i.exec(text);
  const dayOnly = /(?:^|\s)(tomorrow)(?=\s|$)/i.exec(text);
  if (relative) {
    const unit = UNITS[(relative[2] ?? '').toLowerCase()];
    const amount = /^an?$/i.test(relative[1] ?? '') ? 1 : Number(relative[1]);
    if (unit && amount > 0) {
      at = new Date(now.getTime() + amount * unit);
      rest = text.replace(relative[0], ' ');
    }
  }
  if (!at && absolute) {
    const parsed = clock(absolute[2] ?? '');
    if (parsed) {
      const day = new Date(now);
      day.setHours(parsed[0], parsed[1], 0, 0);
      if (absolute[1]?.toLowerCase() === 'tomorrow') day.setDate(day.getDate() + 1);
      else if (!absolute[1] && day.getTime() <= now.getTime()) day.setDate(day.getDate() + 1);
      at = day;
      rest = text.replace(absolute[0], ' ');
    }
  }
  if (!at && dayOnly) {
    const day = new Date(now);
    day.setDate(day.getDate() + 1);
    day.setHours(9, 0, 0, 0);
    at = day;
    rest = text.replace(dayOnly[0], ' ');
  }
  if (!at) throw new Error('Say when: “in 10 minutes …”, “at 17:30 …” or “tomorrow at 9 …”.');
  if (at.getTime() <= now.getTime()) throw new Error('That time has passed already.');
  const title = cleanTitle(rest.replace(/\s+/g, ' '));
  if (!title) throw new Error('Say what to remind you of.');
  return { title: title.slice(0, 200), at };
}

/** cron's body for a one-off reminder at `at` (an RFC 3339 instant) in the device's zone. */
export function reminderTask(reminder: ParsedReminder, timeZone: string) {
  return {
    name: reminder.title,
    kind: 'reminder' as const,
    payload: { title: reminder.title },
    schedule: { kind: 'once', spec: reminder.at.toISOString() },
    time_zone: timeZone,
  };
}

/** The device's IANA time zone (UTC when the platform does not say). */
export function deviceTimeZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}
