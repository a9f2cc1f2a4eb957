'use client';

import { useState } from 'react';

import { api } from '@/lib/client/api';
import type { Profile } from '@/lib/types';

export function ProfileForm({ profile, zones }: { profile: Profile; zones: string[] }) {
  const [status, setStatus] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const here = typeof Intl !== 'undefined' ? Intl.DateTimeFormat().resolvedOptions().timeZone : undefined;
  return (
    <form
      className="flex flex-col gap-3"
      onSubmit={async (e) => {
        e.preventDefault();
        const data = new FormData(e.currentTarget);
        setBusy(true);
        setStatus(null);
        try {
          const name = String(data.get('name') ?? '').trim();
          await api('/agents/v1/profile', { method: 'PATCH', body: { ...(name ? { name } : {}), time_zone: String(data.get('time_zone')) } });
          setStatus({ ok: true, text: 'Saved.' });
        } catch (err) {
          setStatus({ ok: false, text: (err as Error).message });
        } finally {
          setBusy(false);
        }
      }}
    >
      <label className="floating-label">
        <span>Name</span>
        <input className="input w-full" name="name" defaultValue={profile.name ?? ''} maxLength={100} placeholder="Name" autoComplete="name" />
      </label>
      <label className="floating-label">
        <span>Time zone</span>
        <select className="select w-full" name="time_zone" defaultValue={profile.time_zone}>
          {zones.map((z) => (
            <option key={z} value={z}>
              {z}
              {z === here ? ' (this device)' : ''}
            </option>
          ))}
        </select>
      </label>
      {status && (
        <p role={status.ok ? 'status' : 'alert'} className={`text-sm ${status.ok ? 'text-success' : 'text-error'}`}>
          {status.text}
        </p>
      )}
      <button className="btn btn-primary self-start" type="submit" disabled={busy}>
        Save profile
      </button>
    </form>
  );
}
