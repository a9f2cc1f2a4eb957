import Link from 'next/link';

import { Alerts } from '@/components/alerts';
import { query } from '@/lib/messages';

export const metadata = { title: 'Check your email' };

const LEADS: Record<string, string> = {
  signup: 'To confirm your address, follow the link in the email we just sent',
  email: 'To sign in, follow the link in the email we just sent',
  recovery: 'To reset your password, follow the link in the email we just sent',
};

export default async function CheckEmail({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const q = await query(searchParams);
  const purpose = q.purpose && LEADS[q.purpose] ? q.purpose : 'email';
  return (
    <>
      <h1 className="card-title">Check your email</h1>
      <p className="text-sm">
        {LEADS[purpose]}
        {q.email ? ` to ${q.email}` : ''}, or enter its six-digit code here.
      </p>
      <Alerts error={q.error} notice={q.notice} />
      <form method="post" action="/auth/verify-code" className="flex flex-col gap-3">
        <input type="hidden" name="purpose" value={purpose} />
        <label className="floating-label">
          <span>Email</span>
          <input className="input w-full" type="email" name="email" required autoComplete="email" placeholder="Email" defaultValue={q.email} />
        </label>
        <label className="floating-label">
          <span>Code</span>
          <input className="input w-full tracking-widest" name="code" required inputMode="numeric" autoComplete="one-time-code" pattern="[0-9 ]{6,8}" placeholder="Code" />
        </label>
        <button className="btn btn-primary" type="submit">
          Continue
        </button>
      </form>
      {purpose === 'signup' && q.email && (
        <form method="post" action="/auth/resend">
          <input type="hidden" name="email" value={q.email} />
          <button className="link text-sm" type="submit">
            No email? Send it again
          </button>
        </form>
      )}
      <Link className="link text-sm" href="/sign-in">
        Back to sign in
      </Link>
    </>
  );
}
