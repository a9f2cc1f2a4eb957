'use client';
// Watches: a notification (titled with the watch's name) when an entity changes to a state,
// optionally from another and only within a time of day (the front door opening at night).
// Listed, made and deleted here.

import { useId, useState } from 'react';

import { Notices } from '@/components/alerts';
import { FieldError, wired } from '@/components/finance/money';
import { api, ApiError } from '@/lib/client/api';
import { apiFieldErrors, blankWatch, entityName, WATCH_FIELDS, watchBody, watchWords, type Entity, type Watch, type WatchErrors, type WatchForm } from '@/lib/home';

function WatchEditor({ entities, onMade }: { entities: Entity[]; onMade: (w: Watch) => void }) {
  const id = useId();
  const [values, setValues] = useState<WatchForm>(() => blankWatch(entities[0]?.entity_id));
  const [errors, setErrors] = useState<WatchErrors>({});
  const [busy, setBusy] = useState(false);
  const set = <K extends keyof WatchForm>(key: K, value: WatchForm[K]) => setValues((v) => ({ ...v, [key]: value }));
  const fid = (f: string) => `${id}-${f}-error`;
  const ids = [...new Set(entities.map((e) => e.entity_id))];
  // The devices may arrive after the form (a connection just added): the first is the default.
  const chosen = values.entity_id || ids[0] || '';
  const label = (entityId: string) => {
    const e = entities.find((x) => x.entity_id === entityId);
    return e ? `${entityName(e)}${e.area ? ` (${e.area})` : ''}` : entityId;
  };

  async function submit() {
    const built = watchBody({ ...values, entity_id: chosen });
    if ('errors' in built) {
      setErrors(built.errors);
      return;
    }
    setErrors({});
    setBusy(true);
    try {
      const made = await api<Watch>('/agents/v1/home/watches', { body: built.body });
      setValues(blankWatch(chosen));
      onMade(made);
    } catch (e) {
      setErrors(e instanceof ApiError && e.status === 422 ? apiFieldErrors(e.fields, WATCH_FIELDS, e.message) : { form: [(e as Error).message] });
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
        New watch
      </h3>
      <div className="grid gap-3 sm:grid-cols-2">
        <label className="flex flex-col gap-1 sm:col-span-2">
          <span className="text-sm">Entity</span>
          <select className="select w-full" value={chosen} onChange={(e) => set('entity_id', e.target.value)} {...wired(fid('entity_id'), errors.entity_id)}>
            {ids.length === 0 && <option value="">No devices yet</option>}
            {ids.map((entityId) => (
              <option key={entityId} value={entityId}>
                {label(entityId)}
              </option>
            ))}
          </select>
          <FieldError id={fid('entity_id')} messages={errors.entity_id} />
        </label>
        <label className="flex flex-col gap-1 sm:col-span-2">
          <span className="text-sm">Name (the notification’s title)</span>
          <input className="input w-full" maxLength={200} placeholder="Front door opened at night" value={values.name} onChange={(e) => set('name', e.target.value)} {...wired(fid('name'), errors.name)} />
          <FieldError id={fid('name')} messages={errors.name} />
        </label>
        <label className="flex flex-col gap-1">
          <span className="text-sm">When it becomes</span>
          <input className="input w-full" autoComplete="off" placeholder="open" value={values.to} onChange={(e) => set('to', e.target.value)} {...wired(fid('to'), errors.to)} />
          <FieldError id={fid('to')} messages={errors.to} />
        </label>
        <label className="flex flex-col gap-1">
          <span className="text-sm">From (optional)</span>
          <input className="input w-full" autoComplete="off" placeholder="closed" value={values.from} onChange={(e) => set('from', e.target.value)} {...wired(fid('from'), errors.from)} />
          <FieldError id={fid('from')} messages={errors.from} />
        </label>
        <fieldset className="flex flex-col gap-1 sm:col-span-2">
          <legend className="mb-1 text-sm">Only between (optional)</legend>
          <div className="flex flex-wrap items-center gap-2">
            <input className="input w-32" type="time" aria-label="Window start" value={values.start} onChange={(e) => set('start', e.target.value)} {...wired(fid('window'), errors.window)} />
            <span aria-hidden="true">and</span>
            <input className="input w-32" type="time" aria-label="Window end" value={values.end} onChange={(e) => set('end', e.target.value)} {...wired(fid('window'), errors.window)} />
          </div>
          <FieldError id={fid('window')} messages={errors.window} />
        </fieldset>
      </div>
      {errors.form && (
        <p role="alert" className="text-sm text-error">
          {errors.form.join(' ')}
        </p>
      )}
      <button className="btn btn-primary" type="submit" disabled={busy || ids.length === 0}>
        Save watch
      </button>
    </form>
  );
}

export function Watches({ watches, entities, problem, onChange }: { watches: Watch[]; entities: Entity[]; problem: string | null; onChange: (watches: Watch[]) => void }) {
  const id = useId();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [flash, setFlash] = useState<string | null>(null);
  const name = (entityId: string) => {
    const e = entities.find((x) => x.entity_id === entityId);
    return e ? entityName(e) : entityId;
  };

  async function remove(w: Watch) {
    setFlash(null);
    setError(null);
    if (!window.confirm(`Delete the watch “${w.name}”?`)) return;
    setBusy(true);
    try {
      await api(`/agents/v1/home/watches/${encodeURIComponent(w.id)}`, { method: 'DELETE' });
      onChange(watches.filter((x) => x.id !== w.id));
      setFlash(`Deleted the watch “${w.name}”.`);
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
          Watches
        </h2>
        <p className="text-sm opacity-80">A watch notifies you when something changes: the front door opening at night, the washing machine finishing.</p>
        <Notices flash={flash} error={error} />
        {problem && <p className="text-sm text-error">The watches cannot be shown: {problem}</p>}
        {!problem && watches.length === 0 && <p className="text-sm opacity-80">No watches yet.</p>}
        {watches.length > 0 && (
          <ul className="divide-y divide-base-300" aria-label="Watches">
            {watches.map((w) => (
              <li key={w.id} className="flex flex-wrap items-baseline gap-2 py-1.5" data-testid="watch" data-name={w.name}>
                <div className="min-w-0 flex-1">
                  <p className="font-medium">{w.name}</p>
                  <p className="text-sm opacity-80">{watchWords(w, name(w.entity_id))}</p>
                </div>
                <button type="button" className="btn btn-ghost btn-xs text-error" disabled={busy} onClick={() => void remove(w)} aria-label={`Delete the watch ${w.name}`}>
                  Delete
                </button>
              </li>
            ))}
          </ul>
        )}
        <WatchEditor
          entities={entities}
          onMade={(w) => {
            setError(null);
            setFlash(`Saved the watch “${w.name}”.`);
            onChange([...watches, w]);
          }}
        />
      </div>
    </section>
  );
}
