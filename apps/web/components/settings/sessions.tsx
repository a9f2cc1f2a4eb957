'use client';
// The person's signed-in devices, each revocable. Revoking this one signs this browser out.

import { useState } from 'react';

import { api } from '@/lib/client/api';
import type { SessionInfo } from '@/lib/types';

function device(ua: string | null): string {
  if (!ua) return 'Unknown device';
  // Auth names an app password's session after it (calendar sync).
  if (ua.startsWith('app password: ')) return `App password “${ua.slice('app password: '.length)}”`;
  const browser = /Edg\//.test(ua) ? 'Edge' : /Chrome\//.test(ua) ? 'Chrome' : /Firefox\//.test(ua) ? 'Firefox' : /Safari\//.test(ua) ? 'Safari' : ua.split(/[\s/]/)[0];
  const os = /Android/.test(ua) ? 'Android' : /iPhone|iPad/.test(ua) ? 'iOS' : /Mac OS X/.test(ua) ? 'macOS' : /Windows/.test(ua) ? 'Windows' : /Linux/.test(ua) ? 'Linux' : '';
  return os ? `${browser} on ${os}` : browser;
}

export function Sessions({ initial }: { initial: SessionInfo[] }) {
  const [sessions, setSessions] = useState(initial);
  const [error, setError] = useState<string | null>(null);

  async function revoke(s: SessionInfo) {
    if (!window.confirm(s.current ? 'Sign this browser out?' : `Sign out ${device(s.user_agent)}?`)) return;
    setError(null);
    try {
      await api(`/auth/sessions/${s.id}`, { method: 'DELETE' });
      if (s.current) {
        // A full navigation: /auth/expired is a route handler that may clear the cookies.
  // eslint-disable-next-line @next/next/no-location-assign-relative-destination
  window.location.assign('/auth/expired?next=/settings');
        return;
      }
      setSessions((list) => list.filter((x) => x.id !== s.id));
    } catch (e) {
      setError((e as Error).message);
    }
  }

  return (
    <div className="space-y-2">
      {error && (
        <p role="alert" className="text-sm text-error">
          {error}
        </p>
      )}
      <ul className="divide-y divide-base-300" aria-label="Signed-in devices">
        {sessions.map((s) => (
          <li key={s.id} className="flex items-center gap-2 py-2" data-testid="session" data-session-id={s.id}>
            <div className="flex-1">
              <p className="font-medium">
                {device(s.user_agent)} {s.current && <span className="badge badge-sm badge-primary">this browser</span>}
              </p>
              <p className="text-xs opacity-70">
                signed in {new Date(s.created_at).toLocaleString()}
                {s.refreshed_at ? ` · active ${new Date(s.refreshed_at).toLocaleString()}` : ''}
                {s.ip ? ` · ${s.ip}` : ''}
              </p>
            </div>
            <button className="btn btn-sm btn-outline btn-error" type="button" onClick={() => void revoke(s)}>
              Sign out
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}
