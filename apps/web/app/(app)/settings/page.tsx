import { cookies } from 'next/headers';

import { Alerts } from '@/components/alerts';
import { PageHeader } from '@/components/page-header';
import { AppPasswords } from '@/components/settings/app-passwords';
import { ExportEverything } from '@/components/settings/export-everything';
import { Invites } from '@/components/settings/invites';
import { ProfileForm } from '@/components/settings/profile-form';
import { Sessions } from '@/components/settings/sessions';
import { ThemePicker } from '@/components/settings/theme-picker';
import { caldavAddress } from '@/lib/app-passwords';
import { query } from '@/lib/messages';
import { isAdmin } from '@/lib/server/jwt';
import { currentClaims, serviceJson } from '@/lib/server/session';
import type { AppPasswordInfo, AuthStatus, BackupStatus, CronStatus, InviteInfo, ModelChoice, Profile, SessionInfo } from '@/lib/types';

export const metadata = { title: 'Settings' };

function Section({ title, id, children }: { title: string; id?: string; children: React.ReactNode }) {
  // An id without spaces: aria-labelledby takes a list of ids separated by spaces.
  const heading = `s-${title.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '')}`;
  return (
    <section id={id} className="card scroll-mt-4 bg-base-100 shadow-sm" aria-labelledby={heading}>
      <div className="card-body gap-3">
        <h2 id={heading} className="card-title text-base">
          {title}
        </h2>
        {children}
      </div>
    </section>
  );
}

/** A part of the owner's status that could not be read says so instead of failing the page. */
async function orNull<T>(promise: Promise<T>): Promise<T | null> {
  try {
    return await promise;
  } catch (e) {
    // Next's redirects (an ended session) are thrown: let them through.
    if (e instanceof Error && 'digest' in e && String((e as { digest?: unknown }).digest).startsWith('NEXT_REDIRECT')) throw e;
    return null;
  }
}

function StatusRow({ label, ok, children }: { label: string; ok: boolean | null; children: React.ReactNode }) {
  return (
    <tr data-testid={`status-${label.toLowerCase().replace(/\s+/g, '-')}`}>
      <th scope="row" className="font-medium">
        {label}
      </th>
      <td>
        <span className={`badge badge-sm ${ok === null ? 'badge-ghost' : ok ? 'badge-success' : 'badge-warning'}`}>
          {ok === null ? 'unknown' : ok ? 'configured' : 'not configured'}
        </span>
      </td>
      <td className="text-sm">{children}</td>
    </tr>
  );
}

function megabytes(bytes: number): string {
  return `${(bytes / 1_000_000).toFixed(bytes < 10_000_000 ? 1 : 0)} MB`;
}

/** The scheduled backups: where and when, the newest that succeeded, a failed run's error. */
function Backups({ status }: { status: BackupStatus }) {
  if (!status.configured) {
    return <>Set CRON_BACKUP_DIR for scheduled backups (or take one with `posey admin backup DIR`).</>;
  }
  const last = status.last_success;
  const failed = status.last_run && status.last_run.status !== 'succeeded' && status.last_run.error ? status.last_run : null;
  return (
    <>
      On <code>{status.schedule}</code> (UTC) into <code>{status.dir}</code>, the newest {status.keep} kept.{' '}
      <span data-testid="backup-last">
        {last
          ? `Last: ${last.name ?? 'a backup'}${last.bytes != null ? `, ${megabytes(last.bytes)}` : ''}, ${new Date(last.finished_at ?? last.scheduled_for).toLocaleString()}.`
          : 'None taken yet.'}
      </span>
      {failed && (
        <span role="alert" className="block text-warning">
          The last run did not succeed: {failed.error}
        </span>
      )}
    </>
  );
}

/** The owner's view of the install: what is set up, and the invites. Shown to admins only. */
async function Install() {
  const [auth, cron, model, list] = await Promise.all([
    orNull(serviceJson<AuthStatus>('auth', '/admin/status', '/settings')),
    orNull(serviceJson<CronStatus>('cron', '/v1/status', '/settings')),
    orNull(serviceJson<ModelChoice>('agents', '/v1/me/model', '/settings')),
    orNull(serviceJson<{ invites: InviteInfo[] }>('auth', '/admin/invites', '/settings')),
  ]);
  const signup = { owner: 'the first account becomes the owner', open: 'anyone may sign up', invite: 'by invitation only' };
  return (
    <>
      <table className="table table-sm" data-testid="install-status">
        <tbody>
          <StatusRow label="Email" ok={auth ? auth.email.configured : null}>
            {auth === null
              ? 'Auth’s status could not be read.'
              : auth.email.configured
                ? 'Sign-up, sign-in and invite emails go out by SMTP.'
                : 'No SMTP server: emails stay in auth’s outbox, and invite links are shown here to pass on.'}
            {cron && ` Reminder emails: ${cron.email.configured ? 'on' : 'off'}.`}
          </StatusRow>
          <StatusRow label="Web Push" ok={cron ? cron.web_push.configured : null}>
            {cron === null
              ? 'Cron’s status could not be read.'
              : cron.web_push.configured
                ? 'Reminders reach closed tabs and phones.'
                : 'Set CRON_VAPID_PRIVATE_KEY for reminders to reach a closed tab.'}
          </StatusRow>
          <StatusRow label="Model" ok={model ? true : null}>
            {model === null ? 'The agents service could not be reached.' : <span data-testid="model-in-use">{model.using}</span>}
          </StatusRow>
          <StatusRow label="Agent tasks" ok={cron ? cron.agent_tasks.configured : null}>
            {cron && !cron.agent_tasks.configured ? `Missing: ${cron.agent_tasks.missing.join(', ')}.` : 'Recurring tasks run the companion.'}
          </StatusRow>
          <StatusRow label="Backups" ok={cron ? cron.backups.configured : null}>
            {cron === null ? 'Cron’s status could not be read.' : <Backups status={cron.backups} />}
          </StatusRow>
          <tr data-testid="status-sign-up">
            <th scope="row" className="font-medium">
              Sign-up
            </th>
            <td colSpan={2} className="text-sm">
              {auth ? signup[auth.signup.mode] ?? auth.signup.mode : 'unknown'}
            </td>
          </tr>
        </tbody>
      </table>
      <h3 className="font-semibold">Invite someone</h3>
      {list === null ? (
        <p role="alert" className="text-sm text-error">
          The invites could not be read.
        </p>
      ) : (
        <Invites initial={list.invites} />
      )}
    </>
  );
}

export default async function SettingsPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const q = await query(searchParams);
  const [profile, { sessions }, claims, appPasswords] = await Promise.all([
    serviceJson<Profile>('agents', '/v1/profile', '/settings'),
    serviceJson<{ sessions: SessionInfo[] }>('auth', '/sessions', '/settings'),
    currentClaims(),
    orNull(serviceJson<{ app_passwords: AppPasswordInfo[] }>('auth', '/app-passwords', '/settings')),
  ]);
  // The agents service's CalDAV address as calendar apps reach it: only the server knows it.
  const caldav = caldavAddress(process.env);
  const zones = Intl.supportedValuesOf('timeZone');
  if (!zones.includes(profile.time_zone)) zones.unshift(profile.time_zone);
  const theme = (await cookies()).get('posey-theme')?.value ?? 'system';
  return (
    <>
      <PageHeader title="Settings" />
      <div className="mx-auto w-full max-w-3xl space-y-4 p-4">
        <Alerts error={q.error} notice={q.notice} />
        <Section title="Profile">
          {claims?.email && <p className="text-sm opacity-80">Signed in as {claims.email}</p>}
          <ProfileForm profile={profile} zones={zones} />
        </Section>
        {isAdmin(claims) && (
          <Section title="This Posey">
            <Install />
          </Section>
        )}
        <Section title="Devices">
          <Sessions initial={sessions} />
        </Section>
        <Section title="Calendar sync (app passwords)" id="calendar-sync">
          {appPasswords === null ? (
            <p role="alert" className="text-sm text-error">
              The app passwords could not be read.
            </p>
          ) : (
            <AppPasswords initial={appPasswords.app_passwords} caldav={caldav} email={claims?.email ?? null} />
          )}
        </Section>
        <Section title="Password">
          <form method="post" action="/auth/password" className="flex flex-col gap-3">
            <label className="floating-label">
              <span>New password</span>
              <input className="input w-full" type="password" name="password" required minLength={8} autoComplete="new-password" placeholder="New password" />
            </label>
            <label className="floating-label">
              <span>New password again</span>
              <input className="input w-full" type="password" name="confirm" required minLength={8} autoComplete="new-password" placeholder="New password again" />
            </label>
            <p className="text-xs opacity-70">Changing it signs out your other devices.</p>
            <button className="btn self-start" type="submit">
              Change password
            </button>
          </form>
        </Section>
        <Section title="Your data" id="your-data">
          <p className="text-sm">
            Everything Posey keeps of you in one zip: conversations, memories, documents as you uploaded them, calendars, money, home, reminders and
            notifications, in open formats (JSON, Markdown, CSV, iCalendar). Its README says what each file is.
          </p>
          <ExportEverything />
        </Section>
        <Section title="Appearance">
          <ThemePicker initial={theme} />
        </Section>
        <Section title="Sign out">
          <div className="flex flex-wrap gap-2">
            <form method="post" action="/auth/sign-out">
              <button className="btn" type="submit">
                Sign out
              </button>
            </form>
            <form method="post" action="/auth/sign-out">
              <input type="hidden" name="scope" value="global" />
              <button className="btn btn-outline btn-error" type="submit">
                Sign out everywhere
              </button>
            </form>
          </div>
        </Section>
      </div>
    </>
  );
}
