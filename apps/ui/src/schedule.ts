// The reminder builder's schedules: friendly choices turned into cron's spec (seconds first, in
// the task's zone), and cron specs this builder makes described back in words.

export type Repeat = 'daily' | 'weekdays' | 'weekly' | 'monthly';

export const WEEKDAYS = ['MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN'] as const;
const DAY_NAMES: Record<string, string> = { MON: 'Mon', TUE: 'Tue', WED: 'Wed', THU: 'Thu', FRI: 'Fri', SAT: 'Sat', SUN: 'Sun' };

/** `HH:MM` → [hour, minute], or null. */
export function parseTime(time: string): [number, number] | null {
  const m = /^(\d{1,2}):(\d{2})$/.exec(time.trim());
  if (!m) return null;
  const [h, min] = [Number(m[1]), Number(m[2])];
  return h < 24 && min < 60 ? [h, min] : null;
}

export function cronSpec(repeat: Repeat, time: string, days: string[] = [], dayOfMonth = 1): string {
  const parsed = parseTime(time);
  if (!parsed) throw new Error('Pick a time of day.');
  const [h, m] = parsed;
  switch (repeat) {
    case 'daily':
      return `0 ${m} ${h} * * *`;
    case 'weekdays':
      return `0 ${m} ${h} * * MON-FRI`;
    case 'weekly': {
      const chosen = WEEKDAYS.filter((d) => days.includes(d));
      if (chosen.length === 0) throw new Error('Pick at least one day of the week.');
      return `0 ${m} ${h} * * ${chosen.join(',')}`;
    }
    case 'monthly':
      if (!(dayOfMonth >= 1 && dayOfMonth <= 31)) throw new Error('The day of the month is 1 to 31.');
      return `0 ${m} ${h} ${dayOfMonth} * *`;
  }
}

function hhmm(h: string, m: string) {
  return `${h.padStart(2, '0')}:${m.padStart(2, '0')}`;
}

/**
 * Words for a schedule; specs this builder did not make are shown as they are. A one-off time
 * given as an instant (with `Z` or an offset, as the SDK's `reminderTask` sends it) is shown as
 * wall-clock time in `zone`, the task's.
 */
export function describeSchedule(kind: string, spec: string, zone = 'UTC'): string {
  if (kind === 'once') {
    const instant = /(Z|[+-]\d{2}:?\d{2})$/i.test(spec.trim()) && !Number.isNaN(Date.parse(spec));
    return `once, ${instant ? inZone(spec, zone) : spec.replace('T', ' ')}`;
  }
  if (kind === 'interval') return `every ${spec.split('@')[0]} seconds`;
  if (kind !== 'cron') return `${kind}: ${spec}`;
  const m = /^0 (\d{1,2}) (\d{1,2}) (\S+) \* (\S+)$/.exec(spec.trim());
  if (!m) return `cron: ${spec}`;
  // Every group of the pattern takes part in a match.
  const [min, hour, dom, dow] = [m[1] ?? '', m[2] ?? '', m[3] ?? '', m[4] ?? ''];
  const at = hhmm(hour, min);
  if (dom === '*' && dow === '*') return `every day at ${at}`;
  if (dom === '*' && dow === 'MON-FRI') return `weekdays at ${at}`;
  if (dom === '*' && /^[A-Z,]+$/.test(dow)) return `every ${dow.split(',').map((d) => DAY_NAMES[d] ?? d).join(', ')} at ${at}`;
  if (/^\d+$/.test(dom) && dow === '*') return `monthly on day ${dom} at ${at}`;
  return `cron: ${spec}`;
}

/** `iso` as wall-clock time in `zone`. */
export function inZone(iso: string | null, zone: string): string {
  if (!iso) return '—';
  try {
    return new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short', timeZone: zone }).format(new Date(iso));
  } catch {
    return new Date(iso).toLocaleString();
  }
}
