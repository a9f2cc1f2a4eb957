import Link from 'next/link';

import { Alerts } from '@/components/alerts';
import { query } from '@/lib/messages';

export const metadata = { title: 'Reset your password' };

export default async function ForgotPassword({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const q = await query(searchParams);
  return (
    <>
      <h1 className="card-title">Reset your password</h1>
      <p className="text-sm opacity-80">We email you a link and a code to set a new password.</p>
      <Alerts error={q.error} />
      <form method="post" action="/auth/recover" className="flex flex-col gap-3">
        <label className="floating-label">
          <span>Email</span>
          <input className="input w-full" type="email" name="email" required autoComplete="email" placeholder="Email" defaultValue={q.email} />
        </label>
        <button className="btn btn-primary" type="submit">
          Send the link
        </button>
      </form>
      <Link className="link text-sm" href="/sign-in">
        Back to sign in
      </Link>
    </>
  );
}
