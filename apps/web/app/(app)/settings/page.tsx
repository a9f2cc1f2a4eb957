import { cookies } from 'next/headers';

import { Alerts } from '@/components/alerts';
import { PageHeader } from '@/components/page-header';
import { ProfileForm } from '@/components/settings/profile-form';
import { Sessions } from '@/components/settings/sessions';
import { ThemePicker } from '@/components/settings/theme-picker';
import { query } from '@/lib/messages';
import { currentClaims, serviceJson } from '@/lib/server/session';
import type { Profile, SessionInfo } from '@/lib/types';

export const metadata = { title: 'Settings' };

function Section({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <section className="card bg-base-100 shadow-sm" aria-labelledby={`s-${title}`}>
      <div className="card-body gap-3">
        <h2 id={`s-${title}`} className="card-title text-base">
          {title}
        </h2>
        {children}
      </div>
    </section>
  );
}

export default async function SettingsPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const q = await query(searchParams);
  const [profile, { sessions }, claims] = await Promise.all([
    serviceJson<Profile>('agents', '/v1/profile', '/settings'),
    serviceJson<{ sessions: SessionInfo[] }>('auth', '/sessions', '/settings'),
    currentClaims(),
  ]);
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
        <Section title="Devices">
          <Sessions initial={sessions} />
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
