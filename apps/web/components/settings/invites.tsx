'use client';
// The owner's invites: invite an address (the link is shown to pass on when auth did not email
// it), the pending ones, and withdrawing one (its link stops working).

import { useState } from 'react';

import { api } from '@/lib/client/api';
import type { InviteInfo } from '@/lib/types';

export function Invites({ initial }: { initial: InviteInfo[] }) {
  const [invites, setInvites] = useState(initial);
  const [email, setEmail] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [made, setMade] = useState<InviteInfo | null>(null);
  const [copied, setCopied] = useState(false);

  async function invite(event: React.FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setMade(null);
    setCopied(false);
    try {
      const answer = await api<{ invite: InviteInfo }>('/auth/invite', { body: { email: email.trim() } });
      setMade(answer.invite);
      setInvites((list) => [answer.invite, ...list.filter((i) => i.id !== answer.invite.id)]);
      setEmail('');
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  }

  async function withdraw(invite: InviteInfo) {
    if (!window.confirm(`Withdraw the invite for ${invite.email}? Its link stops working.`)) return;
    setError(null);
    try {
      await api(`/auth/admin/invites/${encodeURIComponent(invite.id)}`, { method: 'DELETE' });
      setInvites((list) => list.filter((i) => i.id !== invite.id));
      if (made?.id === invite.id) setMade(null);
    } catch (e) {
      setError((e as Error).message);
    }
  }

  async function copy(link: string) {
    try {
      await navigator.clipboard.writeText(link);
      setCopied(true);
    } catch {
      // No clipboard (plain http on another host): the link stays selectable in the field.
      setCopied(false);
    }
  }

  return (
    <div className="space-y-3">
      <form className="flex flex-wrap gap-2" onSubmit={(e) => void invite(e)}>
        <label className="floating-label min-w-48 flex-1">
          <span>Email to invite</span>
          <input
            className="input w-full"
            type="email"
            required
            placeholder="Email to invite"
            value={email}
            onChange={(e) => setEmail(e.target.value)}
          />
        </label>
        <button className="btn btn-primary" type="submit" disabled={busy}>
          Invite
        </button>
      </form>
      {error && (
        <p role="alert" className="text-sm text-error">
          {error}
        </p>
      )}
      {made &&
        (made.link ? (
          <div role="status" className="space-y-2 rounded-box border border-base-300 p-3" data-testid="invite-link">
            <p className="text-sm">
              No email was sent (this Posey has no SMTP server set up). Pass this link to {made.email}; it works once, until{' '}
              {new Date(made.expires_at).toLocaleString()}:
            </p>
            <div className="flex gap-2">
              <input className="input input-sm flex-1 font-mono" readOnly value={made.link} aria-label="Invite link" onFocus={(e) => e.target.select()} />
              <button className="btn btn-sm" type="button" onClick={() => void copy(made.link as string)}>
                {copied ? 'Copied' : 'Copy'}
              </button>
            </div>
          </div>
        ) : (
          <p role="status" className="text-sm text-success">
            Invite emailed to {made.email}.
          </p>
        ))}
      {invites.length === 0 ? (
        <p className="text-sm opacity-70">No pending invites.</p>
      ) : (
        <ul className="divide-y divide-base-300" aria-label="Pending invites">
          {invites.map((i) => (
            <li key={i.id} className="flex items-center gap-2 py-2" data-testid="invite" data-email={i.email}>
              <div className="flex-1">
                <p className="font-medium">{i.email}</p>
                <p className="text-xs opacity-70">
                  invited {new Date(i.invited_at).toLocaleString()} ·{' '}
                  {i.status === 'expired' ? 'expired' : `until ${new Date(i.expires_at).toLocaleString()}`}
                </p>
              </div>
              <button className="btn btn-sm btn-outline btn-error" type="button" onClick={() => void withdraw(i)}>
                Withdraw
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
