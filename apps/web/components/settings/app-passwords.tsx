'use client';
// Calendar sync: the person's app passwords (auth's `/app-passwords` through the BFF). A calendar
// app (DAVx5, iOS, Thunderbird) signs in to the agents service's CalDAV with the person's email
// and one of them. A new one's secret is shown once, here, with what to type where; revoking one
// signs that app out within seconds. The CalDAV address comes from the server (the browser cannot
// know the agents service's address).

import { useRef, useState } from 'react';

import { lastUsedLabel, nameProblem, NAME_MAX, type CaldavAddress } from '@/lib/app-passwords';
import { api, ApiError } from '@/lib/client/api';
import type { AppPasswordInfo, NewAppPassword } from '@/lib/types';

function CopyField({ label, value, testId, secret = false }: { label: string; value: string; testId: string; secret?: boolean }) {
  const [copied, setCopied] = useState(false);
  async function copy() {
    try {
      await navigator.clipboard.writeText(value);
      setCopied(true);
    } catch {
      // No clipboard (plain http on another host): the value stays selectable in the field.
      setCopied(false);
    }
  }
  return (
    <div className="flex items-center gap-2">
      <label className="input input-sm flex-1">
        <span className="label min-w-20">{label}</span>
        <input
          readOnly
          value={value}
          className={secret ? 'font-mono' : undefined}
          data-testid={testId}
          autoComplete="off"
          spellCheck={false}
          onFocus={(e) => e.currentTarget.select()}
        />
      </label>
      {/* The visible word starts the accessible name ("Copy the password"). */}
      <button className="btn btn-sm" type="button" onClick={() => void copy()}>
        {copied ? 'Copied' : 'Copy'}
        <span className="sr-only"> the {label.toLowerCase()}</span>
      </button>
    </div>
  );
}

function Instructions({ caldav }: { caldav: CaldavAddress }) {
  const server = caldav.url ? <span className="font-mono break-all">{caldav.url}</span> : 'the server URL';
  return (
    <div className="space-y-2 text-sm">
      <h4 className="font-semibold">Set up your calendar app</h4>
      <ul className="list-disc space-y-1 pl-5">
        <li>
          <strong>Android (DAVx5):</strong> add an account → “Login with URL and user name”; base URL {server}, then your email and this password. Pick the
          calendars to sync.
        </li>
        <li>
          <strong>iPhone or iPad:</strong> Settings → Calendar → Accounts → Add Account → Other → Add CalDAV Account; server {server}, user name your email,
          password this one.
        </li>
        <li>
          <strong>Thunderbird:</strong> Calendar → New Calendar → On the Network; username your email, location {server}; enter this password when asked,
          and subscribe to the calendars it finds.
        </li>
      </ul>
    </div>
  );
}

function Row({ item, onRevoked, onError }: { item: AppPasswordInfo; onRevoked: (id: string) => void; onError: (message: string | null) => void }) {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const confirmRef = useRef<HTMLButtonElement>(null);
  const revokeRef = useRef<HTMLButtonElement>(null);

  async function revoke() {
    setBusy(true);
    onError(null);
    try {
      await api(`/auth/app-passwords/${encodeURIComponent(item.id)}`, { method: 'DELETE' });
      onRevoked(item.id);
    } catch (e) {
      onError((e as Error).message);
      setBusy(false);
      setConfirming(false);
    }
  }

  return (
    <li className="space-y-2 py-2" data-testid="app-password" data-name={item.name}>
      <div className="flex items-center gap-2">
        <div className="min-w-0 flex-1">
          <p className="font-medium break-words">{item.name}</p>
          <p className="text-xs opacity-80" data-testid="app-password-used">
            made {new Date(item.created_at).toLocaleString()} · {lastUsedLabel(item.last_used_at)}
          </p>
        </div>
        {!confirming && (
          <button
            ref={revokeRef}
            className="btn btn-sm btn-outline btn-error"
            type="button"
            aria-label={`Revoke ${item.name}`}
            onClick={() => {
              setConfirming(true);
              requestAnimationFrame(() => confirmRef.current?.focus());
            }}
          >
            Revoke
          </button>
        )}
      </div>
      {confirming && (
        <div role="group" aria-label={`Revoke ${item.name}?`} className="flex flex-wrap items-center gap-2 rounded-box border border-error/40 p-2">
          <p className="flex-1 text-sm">Revoke “{item.name}”? The app using it is signed out within seconds and stops syncing.</p>
          <button ref={confirmRef} className="btn btn-sm btn-error" type="button" disabled={busy} onClick={() => void revoke()}>
            Yes, revoke
          </button>
          <button
            className="btn btn-sm"
            type="button"
            disabled={busy}
            onClick={() => {
              setConfirming(false);
              requestAnimationFrame(() => revokeRef.current?.focus());
            }}
          >
            Cancel
          </button>
        </div>
      )}
    </li>
  );
}

export function AppPasswords({ initial, caldav, email }: { initial: AppPasswordInfo[]; caldav: CaldavAddress; email: string | null }) {
  const [list, setList] = useState(initial);
  const [name, setName] = useState('');
  const [nameError, setNameError] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [made, setMade] = useState<NewAppPassword | null>(null);
  const shownRef = useRef<HTMLDivElement>(null);

  async function create(event: React.FormEvent) {
    event.preventDefault();
    setError(null);
    setMade(null);
    const problem = nameProblem(name);
    setNameError(problem);
    if (problem) return;
    setBusy(true);
    try {
      const answer = await api<NewAppPassword>('/auth/app-passwords', { body: { name: name.trim() } });
      setMade(answer);
      const info: AppPasswordInfo = { id: answer.id, name: answer.name, created_at: answer.created_at, last_used_at: answer.last_used_at };
      setList((items) => [info, ...items.filter((i) => i.id !== info.id)]);
      setName('');
      requestAnimationFrame(() => shownRef.current?.focus());
    } catch (e) {
      // Auth's 400 (`validation_failed`) is about the name; anything else is said below the form.
      if (e instanceof ApiError && e.status === 400) setNameError(e.message);
      else setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="space-y-3">
      <p className="text-sm">
        Phone and desktop calendar apps sync with your calendars over CalDAV. They cannot use this page’s sign-in, so each one gets its own app password:
        revoke it when you stop using that device.
      </p>
      <div className="space-y-1 text-sm" data-testid="caldav-address">
        {caldav.url ? (
          <>
            <p>
              Server URL: <span className="font-mono break-all" data-testid="caldav-url">{caldav.url}</span>
            </p>
            {caldav.local && (
              <p className="text-xs opacity-80">
                This address is on the server itself; a phone may not reach it. If it cannot, ask whoever runs this Posey for its public CalDAV address.
              </p>
            )}
          </>
        ) : (
          <p>The CalDAV server URL is not set up here: ask whoever runs this Posey for it (they set POSEY_CALDAV_URL).</p>
        )}
        {email && (
          <p>
            User name: <span className="font-mono">{email}</span>
          </p>
        )}
      </div>
      <form noValidate className="flex flex-wrap items-start gap-2" onSubmit={(e) => void create(e)}>
        <div className="min-w-48 flex-1">
          <label className="floating-label">
            <span>App or device name</span>
            <input
              className="input w-full"
              name="name"
              maxLength={NAME_MAX}
              placeholder="App or device name, like Phone"
              autoComplete="off"
              value={name}
              onChange={(e) => setName(e.target.value)}
              aria-invalid={nameError ? true : undefined}
              aria-describedby={nameError ? 'app-password-name-error' : undefined}
            />
          </label>
          {nameError && (
            <p id="app-password-name-error" className="mt-1 text-sm text-error">
              {nameError}
            </p>
          )}
        </div>
        <button className="btn btn-primary" type="submit" disabled={busy}>
          Make an app password
        </button>
      </form>
      {made && (
        <div
          ref={shownRef}
          tabIndex={-1}
          role="region"
          aria-label={`New app password for ${made.name}`}
          className="space-y-3 rounded-box border border-success/50 p-3"
          data-testid="app-password-made"
        >
          <p className="text-sm font-medium">
            App password for “{made.name}”. Copy it now: it is shown only this once (if you lose it, revoke it and make another).
          </p>
          {caldav.url && <CopyField label="Server URL" value={caldav.url} testId="made-server-url" />}
          {email && <CopyField label="User name" value={email} testId="made-username" />}
          <CopyField label="Password" value={made.password} testId="app-password-secret" secret />
          <Instructions caldav={caldav} />
          <button className="btn btn-sm" type="button" onClick={() => setMade(null)}>
            Done, hide it
          </button>
        </div>
      )}
      {error && (
        <p role="alert" className="text-sm text-error">
          {error}
        </p>
      )}
      {list.length === 0 ? (
        <p className="text-sm opacity-80" data-testid="no-app-passwords">
          No app passwords yet.
        </p>
      ) : (
        <ul className="divide-y divide-base-300" aria-label="App passwords">
          {list.map((item) => (
            <Row
              key={item.id}
              item={item}
              onError={setError}
              onRevoked={(id) => {
                setList((items) => items.filter((i) => i.id !== id));
                if (made?.id === id) setMade(null);
              }}
            />
          ))}
        </ul>
      )}
    </div>
  );
}
