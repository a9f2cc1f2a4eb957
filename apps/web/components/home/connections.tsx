'use client';
// Connections to a home: each Home Assistant instance or MQTT broker with its status, last error
// and how many entities it brought; one added (the token and password as password fields,
// agents' 422 shown under the field it names) or removed after a confirm.

import { useId, useState } from 'react';

import { Notices } from '@/components/alerts';
import { FieldError, wired } from '@/components/finance/money';
import { api, ApiError } from '@/lib/client/api';
import { apiFieldErrors, blankConnection, CONNECTION_FIELDS, connectionBody, DEFAULT_DISCOVERY_PREFIX, kindLabel, STATUS_LABELS, type Connection, type ConnectionErrors, type ConnectionForm, type ConnectionKind } from '@/lib/home';

const STATUS_BADGE: Record<string, string> = { connected: 'badge-success', connecting: 'badge-info', disconnected: 'badge-error', stopped: 'badge-ghost' };

function ConnectionItem({ connection, busy, onRemove }: { connection: Connection; busy: boolean; onRemove: () => void }) {
  const c = connection;
  return (
    <li className="flex flex-wrap items-start gap-x-3 gap-y-1 py-2" data-testid="connection" data-name={c.name}>
      <div className="min-w-48 flex-1">
        <p className="font-medium">
          {c.name} <span className="text-sm font-normal opacity-80">· {kindLabel(c.kind)}</span>
        </p>
        <p className="text-sm break-all opacity-80">{c.url ?? 'This Posey’s own broker'}</p>
        {c.last_error && (
          <p className="text-sm text-error" data-testid="connection-error">
            {c.last_error}
          </p>
        )}
      </div>
      <span className={`badge badge-sm ${STATUS_BADGE[c.status] ?? 'badge-ghost'}`}>{STATUS_LABELS[c.status] ?? c.status}</span>
      <span className="text-sm">
        {c.entities} {c.entities === 1 ? 'entity' : 'entities'}
      </span>
      <button type="button" className="btn btn-ghost btn-xs text-error" disabled={busy} onClick={onRemove} aria-label={`Remove ${c.name}`}>
        Remove
      </button>
    </li>
  );
}

function ConnectionEditor({ onAdded }: { onAdded: (c: Connection) => void }) {
  const id = useId();
  const [values, setValues] = useState<ConnectionForm>(blankConnection());
  const [errors, setErrors] = useState<ConnectionErrors>({});
  const [busy, setBusy] = useState(false);
  const set = <K extends keyof ConnectionForm>(key: K, value: ConnectionForm[K]) => setValues((v) => ({ ...v, [key]: value }));
  const fid = (f: string) => `${id}-${f}-error`;
  const ha = values.kind === 'home_assistant';

  async function submit() {
    const built = connectionBody(values);
    if ('errors' in built) {
      setErrors(built.errors);
      return;
    }
    setErrors({});
    setBusy(true);
    try {
      const made = await api<Connection>('/agents/v1/home/connections', { body: built.body });
      setValues(blankConnection(values.kind));
      onAdded(made);
    } catch (e) {
      if (e instanceof ApiError && e.status === 422) setErrors(apiFieldErrors(e.fields, CONNECTION_FIELDS, e.message));
      else if (e instanceof ApiError && e.status === 409) setErrors({ name: [e.message] });
      else setErrors({ form: [(e as Error).message] });
    } finally {
      setBusy(false);
    }
  }

  return (
    <form
      className="space-y-3 border-t border-base-300 pt-3"
      aria-labelledby={`${id}-title`}
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <h3 id={`${id}-title`} className="font-semibold">
        Add a connection
      </h3>
      <fieldset className="flex flex-wrap gap-4">
        <legend className="mb-1 text-sm">What to connect</legend>
        {(['home_assistant', 'mqtt'] as ConnectionKind[]).map((kind) => (
          <label key={kind} className="flex items-center gap-2">
            <input
              type="radio"
              className="radio radio-sm"
              name={`${id}-kind`}
              value={kind}
              checked={values.kind === kind}
              onChange={() => {
                setErrors({});
                setValues((v) => ({ ...blankConnection(kind), name: v.name }));
              }}
            />
            {kindLabel(kind)}
          </label>
        ))}
      </fieldset>
      <div className="grid gap-3 sm:grid-cols-2">
        <label className="flex flex-col gap-1">
          <span className="text-sm">Name</span>
          <input className="input w-full" maxLength={100} placeholder={ha ? 'Home' : 'Zigbee'} value={values.name} onChange={(e) => set('name', e.target.value)} {...wired(fid('name'), errors.name)} />
          <FieldError id={fid('name')} messages={errors.name} />
        </label>
        <label className="flex flex-col gap-1">
          <span className="text-sm">{ha ? 'Address' : 'Broker address (optional: this Posey’s own broker)'}</span>
          <input
            className="input w-full"
            type="url"
            inputMode="url"
            autoComplete="off"
            placeholder={ha ? 'http://homeassistant.local:8123' : 'mqtt://broker.local:1883'}
            value={values.url}
            onChange={(e) => set('url', e.target.value)}
            {...wired(fid('url'), errors.url)}
          />
          <FieldError id={fid('url')} messages={errors.url} />
        </label>
        <label className="flex flex-col gap-1">
          <span className="text-sm">{ha ? 'Long-lived access token' : 'Broker password (optional)'}</span>
          <input className="input w-full" type="password" autoComplete={ha ? 'off' : 'new-password'} value={values.token} onChange={(e) => set('token', e.target.value)} {...wired(fid('token'), errors.token)} />
          <FieldError id={fid('token')} messages={errors.token} />
        </label>
        {!ha && (
          <>
            <label className="flex flex-col gap-1">
              <span className="text-sm">Discovery prefix</span>
              <input className="input w-full" autoComplete="off" placeholder={DEFAULT_DISCOVERY_PREFIX} value={values.discovery_prefix} onChange={(e) => set('discovery_prefix', e.target.value)} {...wired(fid('discovery_prefix'), errors.discovery_prefix)} />
              <FieldError id={fid('discovery_prefix')} messages={errors.discovery_prefix} />
            </label>
            <label className="flex flex-col gap-1">
              <span className="text-sm">zigbee2mqtt base topic (optional)</span>
              <input className="input w-full" autoComplete="off" placeholder="zigbee2mqtt" value={values.zigbee2mqtt_base} onChange={(e) => set('zigbee2mqtt_base', e.target.value)} {...wired(fid('zigbee2mqtt_base'), errors.zigbee2mqtt_base)} />
              <FieldError id={fid('zigbee2mqtt_base')} messages={errors.zigbee2mqtt_base} />
            </label>
          </>
        )}
      </div>
      {ha && <p className="text-sm opacity-80">Make the token in Home Assistant: your profile → Security → Long-lived access tokens. Posey keeps it encrypted and never shows it again.</p>}
      {(errors.form || errors.kind) && (
        <p role="alert" className="text-sm text-error">
          {[...(errors.kind ?? []), ...(errors.form ?? [])].join(' ')}
        </p>
      )}
      <button className="btn btn-primary" type="submit" disabled={busy}>
        {busy ? 'Connecting…' : ha ? 'Connect Home Assistant' : 'Connect the broker'}
      </button>
    </form>
  );
}

export function Connections({ connections, onChanged }: { connections: Connection[]; onChanged: () => Promise<void> }) {
  const id = useId();
  const [busy, setBusy] = useState(false);
  const [flash, setFlash] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  async function remove(c: Connection) {
    setFlash(null);
    setError(null);
    if (!window.confirm(`Remove the connection “${c.name}”? Its ${c.entities} ${c.entities === 1 ? 'entity' : 'entities'} and their history go with it; the activity log stays.`)) return;
    setBusy(true);
    try {
      await api(`/agents/v1/home/connections/${encodeURIComponent(c.id)}`, { method: 'DELETE' });
      setFlash(`Removed “${c.name}”.`);
      await onChanged();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="card bg-base-100 shadow-sm" aria-labelledby={`${id}-title`}>
      <div className="card-body gap-3">
        <h2 id={`${id}-title`} className="card-title text-base">
          Connections
        </h2>
        <Notices flash={flash} error={error} />
        {connections.length === 0 ? (
          <p className="text-sm opacity-80">Nothing connected yet.</p>
        ) : (
          <ul className="divide-y divide-base-300" aria-label="Connections">
            {connections.map((c) => (
              <ConnectionItem key={c.id} connection={c} busy={busy} onRemove={() => void remove(c)} />
            ))}
          </ul>
        )}
        <ConnectionEditor
          onAdded={(c) => {
            setError(null);
            setFlash(`Added “${c.name}” (${(STATUS_LABELS[c.status] ?? c.status).toLowerCase()}). Its devices appear below as they are found.`);
            void onChanged();
          }}
        />
      </div>
    </section>
  );
}
