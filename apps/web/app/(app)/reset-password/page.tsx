// Where a recovery link or code lands, signed in: set the new password.

import { Alerts } from '@/components/alerts';
import { query } from '@/lib/messages';

export const metadata = { title: 'Set a new password' };

export default async function ResetPassword({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const q = await query(searchParams);
  return (
    <div className="mx-auto w-full max-w-sm p-4">
      <div className="card bg-base-100 shadow-sm">
        <div className="card-body gap-3">
          <h1 className="card-title">Set a new password</h1>
          <Alerts error={q.error} />
          <form method="post" action="/auth/password" className="flex flex-col gap-3">
            <input type="hidden" name="from" value="reset" />
            <label className="floating-label">
              <span>New password</span>
              <input className="input w-full" type="password" name="password" required minLength={8} autoComplete="new-password" placeholder="New password" />
            </label>
            <label className="floating-label">
              <span>New password again</span>
              <input className="input w-full" type="password" name="confirm" required minLength={8} autoComplete="new-password" placeholder="New password again" />
            </label>
            <button className="btn btn-primary" type="submit">
              Save the password
            </button>
          </form>
        </div>
      </div>
    </div>
  );
}
