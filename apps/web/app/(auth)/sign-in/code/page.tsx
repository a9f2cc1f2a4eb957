import Link from 'next/link';

import { Alerts } from '@/components/alerts';
import { query } from '@/lib/messages';

export const metadata = { title: 'Sign in with an email code' };

export default async function EmailCode({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const q = await query(searchParams);
  return (
    <>
      <h1 className="card-title">Sign in with an email code</h1>
      <p className="text-sm opacity-80">We email you a link and a six-digit code. Either signs you in.</p>
      <Alerts error={q.error} />
      <form method="post" action="/auth/email-code" className="flex flex-col gap-3">
        {q.next && <input type="hidden" name="next" value={q.next} />}
        <label className="floating-label">
          <span>Email</span>
          <input className="input w-full" type="email" name="email" required autoComplete="email" placeholder="Email" defaultValue={q.email} />
        </label>
        <button className="btn btn-primary" type="submit">
          Send the code
        </button>
      </form>
      <Link className="link text-sm" href="/sign-in">
        Sign in with a password
      </Link>
    </>
  );
}
