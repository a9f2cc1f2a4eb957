// Settings: which Posey the app talks to (each service's URL, or one address at `posey up`'s
// ports), starting with the desktop session, the quick-chat shortcut, and signing out.

import type { User } from '@posey/sdk';
import { type FormEvent, useCallback, useState } from 'react';

import { type Settings as Urls, getSettings, message, setAutostart, setSettings, signOut } from '../bridge';
import { ErrorText, Page } from '../ui';
import { useLoad } from '../useLoad';

/** Each service at `address` on the ports `posey up` uses. */
export function urlsAt(address: string): Urls {
  const raw = address.trim();
  const url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`);
  const at = (port: number) => `${url.protocol}//${url.hostname}:${port}/`;
  return { auth_url: at(9000), agents_url: at(8000), cron_url: at(8090) };
}

export function Settings(props: { user: User; onSignedOut: (problem: string | null) => void }) {
  const settings = useLoad(useCallback(() => getSettings(), []));
  const [saved, setSaved] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const data = settings.data;

  function change(key: keyof Urls, value: string) {
    setSaved(false);
    settings.setData((s) => (s ? { ...s, [key]: value } : s));
  }

  async function save(e: FormEvent) {
    e.preventDefault();
    if (!data) return;
    setError(null);
    try {
      await setSettings({ auth_url: data.auth_url, agents_url: data.agents_url, cron_url: data.cron_url });
      setSaved(true);
    } catch (err) {
      setError(message(err));
    }
  }

  async function toggleAutostart(enabled: boolean) {
    try {
      const now = await setAutostart(enabled);
      settings.setData((s) => (s ? { ...s, autostart: now } : s));
    } catch (err) {
      setError(message(err));
    }
  }

  async function leave() {
    props.onSignedOut(await signOut());
  }

  return (
    <Page title="Settings">
      <ErrorText error={error ?? settings.error} />
      <div className="card bg-base-100">
        <div className="card-body gap-3">
          <h2 className="card-title">Account</h2>
          <p>Signed in as {props.user.email}</p>
          <div><button className="btn btn-outline btn-sm" onClick={() => void leave()}>Sign out</button></div>
        </div>
      </div>
      {data && (
        <form onSubmit={(e) => void save(e)} className="card bg-base-100">
          <div className="card-body gap-3">
            <h2 className="card-title">Server</h2>
            <div className="flex gap-2">
              <input id="address" className="input flex-1" placeholder="home.example or 192.168.1.20" />
              <button
                type="button"
                className="btn btn-sm self-center"
                onClick={() => {
                  const address = (document.getElementById('address') as HTMLInputElement | null)?.value ?? '';
                  try {
                    const urls = urlsAt(address);
                    settings.setData((s) => (s ? { ...s, ...urls } : s));
                    setSaved(false);
                  } catch {
                    setError('Not an address.');
                  }
                }}
              >
                Use posey up’s ports
              </button>
            </div>
            {(['auth_url', 'agents_url', 'cron_url'] as const).map((key) => (
              <label key={key} className="floating-label">
                <span>{key.replace('_url', '')}</span>
                <input className="input w-full" value={data[key]} onChange={(e) => change(key, e.target.value)} />
              </label>
            ))}
            <div className="flex items-center gap-3">
              <button type="submit" className="btn btn-primary btn-sm">Save</button>
              {saved && <span className="text-sm text-success">Saved. Sign in again if this is another server.</span>}
            </div>
          </div>
        </form>
      )}
      {data && (
        <div className="card bg-base-100">
          <div className="card-body gap-3">
            <h2 className="card-title">Desktop</h2>
            <label className="label gap-3">
              <input type="checkbox" className="toggle" checked={data.autostart} onChange={(e) => void toggleAutostart(e.target.checked)} />
              Start Posey when I log in
            </label>
            <p className="text-sm">Quick chat from anywhere: <kbd className="kbd kbd-sm">{data.shortcut}</kbd></p>
          </div>
        </div>
      )}
    </Page>
  );
}
