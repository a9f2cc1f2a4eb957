import Link from 'next/link';

import { Alerts } from '@/components/alerts';
import { query } from '@/lib/messages';

export const metadata = { title: 'Accept your invite' };

export default async function Invite({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const q = await query(searchParams);
  // A link without its token, or one auth refused: the form cannot work, so say what to do instead.
  if (!q.token_hash || q.error === 'invite_invalid') {
    return (
      <>
        <h1 className="card-title">This invite cannot be used</h1>
        <Alerts error="invite_invalid" />
        <Link className="link text-sm" href="/sign-in">
          Already have an account? Sign in
        </Link>
      </>
    );
  }
  return (
    <>
      <h1 className="card-title">You are invited</h1>
      <p className="text-sm">
        Set a password for <strong data-testid="invited-email">{q.email}</strong> to join this Posey.
      </p>
      <Alerts error={q.error} />
      <form method="post" action="/auth/invite" className="flex flex-col gap-3">
        <input type="hidden" name="token_hash" value={q.token_hash} />
        <input type="hidden" name="email" value={q.email ?? ''} />
        <label className="floating-label">
          <span>Your name</span>
          <input className="input w-full" name="name" autoComplete="name" placeholder="Your name" defaultValue={q.name} maxLength={100} />
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
          Join
        </button>
      </form>
    </>
  );
}
