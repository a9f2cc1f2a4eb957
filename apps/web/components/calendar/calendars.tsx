'use client';
// The person's calendars: make one, download one as an .ics file, import an .ics file into one
// (with what the import did), and make or revoke its private feed URL. The feed is served by
// this app at /feeds/<token>.ics (passed through to agents, see app/feeds/[token]/route.ts), so
// the URL shown works wherever the web app does; agents keeps only the token's hash, so the URL
// is shown once, when made.

import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useState } from 'react';

import { feedUrl } from '@/lib/calendar';
import { api, ApiError } from '@/lib/client/api';
import type { CalendarFeed, CalendarInfo, ImportReport } from '@/lib/types';

function Report({ name, report }: { name: string; report: ImportReport }) {
  const skipped = report.skipped ?? [];
  const count = (n: number) => `${n}`;
  return (
    <div role="status" className="alert alert-success alert-soft flex-col items-start text-sm" data-testid="import-report">
      <p>
        Imported into {name}: {count(report.added.length)} added, {count(report.updated.length)} updated, {count(report.unchanged.length)} unchanged
        {skipped.length > 0 ? `, ${skipped.length} skipped` : ''}.
      </p>
      {skipped.length > 0 && (
        <ul className="list-disc pl-5">
          {skipped.map((s) => (
            <li key={s.uid}>
              {s.uid}: {s.reason}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function CalendarRow({ calendar }: { calendar: CalendarInfo }) {
  const router = useRouter();
  const [feed, setFeed] = useState<string | null>(null);
  const [report, setReport] = useState<ImportReport | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function run(f: () => Promise<void>) {
    setError(null);
    setBusy(true);
    try {
      await f();
    } catch (e) {
      const fields = e instanceof ApiError ? Object.entries(e.fields) : [];
      setError(fields.length ? fields.map(([f, m]) => `${f === 'file' ? 'The file' : f} ${m.join(', ')}`).join('; ') : (e as Error).message);
    } finally {
      setBusy(false);
    }
  }

  const importFile = (file: File) =>
    run(async () => {
      setReport(null);
      const text = await file.text();
      setReport(await api<ImportReport>(`/agents/v1/calendars/${calendar.id}/import`, { raw: { data: text, type: 'text/calendar' } }));
      router.refresh();
    });

  const makeFeed = () =>
    run(async () => {
      const made = await api<CalendarFeed>(`/agents/v1/calendars/${calendar.id}/feed`, { method: 'POST' });
      setFeed(feedUrl(window.location.origin, made.token));
      router.refresh();
    });

  const revokeFeed = () =>
    run(async () => {
      await api(`/agents/v1/calendars/${calendar.id}/feed`, { method: 'DELETE' });
      setFeed(null);
      router.refresh();
    });

  const hasFeed = calendar.has_feed || feed !== null;
  return (
    <li className="space-y-2 py-3" data-testid="calendar">
      <div className="flex flex-wrap items-center gap-2">
        <span aria-hidden="true" className="size-3 rounded-full" style={{ background: calendar.colour ?? 'var(--color-primary)' }} />
        <span className="flex-1 font-medium">{calendar.name}</span>
        <span className="text-xs opacity-80">{calendar.time_zone}</span>
      </div>
      <div className="flex flex-wrap items-center gap-2">
        {/* A plain link: the BFF passes agents' file through with its name. */}
        <a className="btn btn-xs" href={`/api/agents/v1/calendars/${calendar.id}/export`} download>
          Download .ics
        </a>
        <label className="btn btn-xs">
          Import .ics
          <input
            type="file"
            accept=".ics,text/calendar"
            className="sr-only"
            aria-label={`Import an .ics file into ${calendar.name}`}
            disabled={busy}
            onChange={(e) => {
              const file = e.target.files?.[0];
              e.target.value = '';
              if (file) void importFile(file);
            }}
          />
        </label>
        <button type="button" className="btn btn-xs" disabled={busy} onClick={() => void makeFeed()}>
          {hasFeed ? 'New feed URL' : 'Make a feed URL'}
        </button>
        {hasFeed && (
          <button type="button" className="btn btn-xs btn-ghost text-error" disabled={busy} onClick={() => void revokeFeed()}>
            Revoke feed
          </button>
        )}
      </div>
      {feed ? (
        <div className="space-y-1">
          <label className="input input-sm w-full">
            <span className="label">Feed URL</span>
            <input readOnly value={feed} data-testid="feed-url" onFocus={(e) => e.currentTarget.select()} />
          </label>
          <p className="text-xs opacity-80">
            Subscribe to it from another calendar app (read-only). Anyone with this URL can read the calendar: keep it private. It is shown only now; making a new one
            stops this one.
          </p>
        </div>
      ) : (
        calendar.has_feed && <p className="text-xs opacity-80">A private feed URL is on. Make a new one to see it again (the old one then stops working).</p>
      )}
      {report && <Report name={calendar.name} report={report} />}
      {error && (
        <p role="alert" className="text-sm text-error">
          {error}
        </p>
      )}
    </li>
  );
}

export function Calendars({ calendars }: { calendars: CalendarInfo[] }) {
  const router = useRouter();
  const [error, setError] = useState<Record<string, string[]> | null>(null);
  const [busy, setBusy] = useState(false);

  async function create(form: HTMLFormElement) {
    const data = new FormData(form);
    const name = String(data.get('name') ?? '').trim();
    setError(null);
    if (!name) {
      setError({ name: ['Give the calendar a name.'] });
      return;
    }
    setBusy(true);
    try {
      await api('/agents/v1/calendars', { body: { name, colour: String(data.get('colour') ?? '') || undefined } });
      form.reset();
      router.refresh();
    } catch (e) {
      setError(e instanceof ApiError && Object.keys(e.fields).length ? e.fields : { form: [(e as Error).message] });
    } finally {
      setBusy(false);
    }
  }

  const nameError = error?.name;
  return (
    <section aria-labelledby="calendars-title" className="card bg-base-100 shadow-sm">
      <div className="card-body gap-2">
        <h2 id="calendars-title" className="card-title text-base">
          Calendars
        </h2>
        {calendars.length === 0 ? (
          <p className="text-sm opacity-80">No calendar yet: “Personal” is made with your first event, or make one here.</p>
        ) : (
          <ul className="divide-y divide-base-300" aria-label="Your calendars">
            {calendars.map((c) => (
              <CalendarRow key={c.id} calendar={c} />
            ))}
          </ul>
        )}
        <form
          noValidate
          className="flex flex-wrap items-start gap-2"
          onSubmit={(e) => {
            e.preventDefault();
            void create(e.currentTarget);
          }}
        >
          <div className="min-w-40 flex-1">
            <label className="input w-full">
              <span className="sr-only">New calendar’s name</span>
              <input name="name" maxLength={200} placeholder="New calendar" autoComplete="off" aria-invalid={nameError ? true : undefined} aria-describedby={nameError ? 'calendar-name-error' : undefined} />
            </label>
            {nameError && (
              <p id="calendar-name-error" className="text-sm text-error">
                {nameError.join(' ')}
              </p>
            )}
          </div>
          <label className="flex items-center gap-1 text-sm">
            Colour
            <input type="color" name="colour" defaultValue="#3366cc" className="h-8 w-10 cursor-pointer" />
          </label>
          <button className="btn" type="submit" disabled={busy}>
            Make calendar
          </button>
        </form>
        <p className="text-sm opacity-80" data-testid="calendar-sync-hint">
          Sync with a phone or another calendar app (CalDAV, two-way):{' '}
          <Link className="link" href="/settings#calendar-sync">
            make an app password in Settings
          </Link>
          .
        </p>
        {error && Object.entries(error).filter(([k]) => k !== 'name').length > 0 && (
          <p role="alert" className="text-sm text-error">
            {Object.entries(error)
              .filter(([k]) => k !== 'name')
              .map(([k, m]) => (k === 'form' ? m.join(' ') : `${k} ${m.join(', ')}`))
              .join('; ')}
          </p>
        )}
      </div>
    </section>
  );
}
