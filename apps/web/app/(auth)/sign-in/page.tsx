import Link from 'next/link';

import { Alerts } from '@/components/alerts';
import { query } from '@/lib/messages';

export const metadata = { title: 'Sign in' };

export default async function SignIn({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const q = await query(searchParams);
  return (
    <>
      <h1 className="card-title">Sign in</h1>
      <Alerts error={q.error} notice={q.notice} />
      <form method="post" action="/auth/sign-in" className="flex flex-col gap-3">
        {q.next && <input type="hidden" name="next" value={q.next} />}
        <label className="floating-label">
          <span>Email</span>
          <input className="input w-full" type="email" name="email" required autoComplete="email" placeholder="Email" defaultValue={q.email} />
        </label>
        <label className="floating-label">
          <span>Password</span>
          <input className="input w-full" type="password" name="password" required autoComplete="current-password" placeholder="Password" />
        </label>
        <button className="btn btn-primary" type="submit">
          Sign in
        </button>
      </form>
      <div className="flex flex-col gap-1 text-sm">
        <Link className="link" href="/sign-in/code">
          Email me a sign-in code instead
        </Link>
        <Link className="link" href="/forgot-password">
          Forgot your password?
        </Link>
        <Link className="link" href="/sign-up">
          New here? Create an account
        </Link>
      </div>
    </>
  );
}
