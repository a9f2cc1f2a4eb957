import Link from 'next/link';

import { Alerts } from '@/components/alerts';
import { query } from '@/lib/messages';
import { callAuth } from '@/lib/server/auth-api';

export const metadata = { title: 'Create an account' };

export default async function SignUp({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const q = await query(searchParams);
  // Who may sign up: `owner` on a fresh install, `open`, or `invite` (the default once the owner exists).
  const settings = await callAuth<{ signup?: string }>('/settings');
  const mode = settings.ok ? settings.value.signup : undefined;
  if (mode === 'invite') {
    return (
      <>
        <h1 className="card-title">Sign-up is by invitation</h1>
        <p className="text-sm">
          New accounts on this Posey are made by invitation: ask its owner to invite your email address, then follow the
          link in the invite.
        </p>
        <Link className="btn btn-primary" href="/sign-in">
          Sign in
        </Link>
      </>
    );
  }
  const owner = mode === 'owner';
  return (
    <>
      <h1 className="card-title">{owner ? 'Create the owner account' : 'Create an account'}</h1>
      {owner && (
        <p className="text-sm" data-testid="owner-note">
          This Posey is new. The first account is its owner: it can invite the household and see how the install is set up.
        </p>
      )}
      <Alerts error={q.error} />
      <form method="post" action="/auth/sign-up" className="flex flex-col gap-3">
        <label className="floating-label">
          <span>Your name</span>
          <input className="input w-full" name="name" autoComplete="name" placeholder="Your name" defaultValue={q.name} maxLength={100} />
        </label>
        <label className="floating-label">
          <span>Email</span>
          <input className="input w-full" type="email" name="email" required autoComplete="email" placeholder="Email" defaultValue={q.email} />
        </label>
        <label className="floating-label">
          <span>Password (8 characters or more)</span>
          <input className="input w-full" type="password" name="password" required minLength={8} autoComplete="new-password" placeholder="Password (8 characters or more)" />
        </label>
        <label className="floating-label">
          <span>Password again</span>
          <input className="input w-full" type="password" name="confirm" required minLength={8} autoComplete="new-password" placeholder="Password again" />
        </label>
        <button className="btn btn-primary" type="submit">
          Create the account
        </button>
      </form>
      <Link className="link text-sm" href="/sign-in">
        Already have an account? Sign in
      </Link>
    </>
  );
}
