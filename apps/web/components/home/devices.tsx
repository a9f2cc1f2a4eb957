'use client';
// The home's entities under their areas ("No area" last): each with its device, state, controls and
// what the companion may do with it, and per area "may see all / control all". A command goes to
// agents at once, or after the person's yes in a dialog when it is a security one (unlocking,
// opening a garage, arming or disarming, switching an automation off). Exposure changes read the
// policy first and send it back whole, so what another tab changed is kept.

import { useId, useState } from 'react';

import { Modal } from '@/components/calendar/modal';
import { api } from '@/lib/client/api';
import {
  areaExposure,
  asksFirst,
  commandWords,
  confirmQuestion,
  entityExposure,
  entityName,
  groupByArea,
  isAlarmCommand,
  isUnavailable,
  needsConfirmation,
  normaliseExposure,
  setAreaExposure,
  setAskFirst,
  setEntityExposure,
  stateLabel,
  withCode,
  type Area,
  type Command,
  type CommandResult,
  type Entity,
  type Exposure,
} from '@/lib/home';

import { EntityControls } from './controls';

const keyOf = (e: Pick<Entity, 'entity_id' | 'connection_id'>) => `${e.connection_id}/${e.entity_id}`;

export function ConfirmCommand({ entity, command, onCancel, onConfirm }: { entity: Entity; command: Command; onCancel: () => void; onConfirm: (command: Command) => void }) {
  const id = useId();
  const alarm = isAlarmCommand(command);
  const [code, setCode] = useState(() => ('code' in command && command.code) || '');
  const word = commandWords(command.action);
  return (
    <Modal title={confirmQuestion(entity, command)} onClose={onCancel}>
      <form
        className="space-y-3"
        onSubmit={(e) => {
          e.preventDefault();
          onConfirm(alarm ? withCode(command, code) : command);
        }}
      >
        <p className="text-sm">This acts on your home’s safety{entity.area ? ` (${entity.area})` : ''}, so Posey asks before doing it.</p>
        {alarm && (
          <label className="flex flex-col gap-1">
            <span className="text-sm">Alarm code (if the panel needs one)</span>
            <input id={`${id}-code`} className="input w-full" type="password" autoComplete="off" inputMode="numeric" value={code} onChange={(e) => setCode(e.target.value)} />
          </label>
        )}
        <div className="modal-action">
          <button type="button" className="btn" onClick={onCancel}>
            Cancel
          </button>
          <button type="submit" className="btn btn-warning">
            {word}
          </button>
        </div>
      </form>
    </Modal>
  );
}

function ExposureBoxes({
  entity,
  exposure,
  disabled,
  onChange,
  onAskFirst,
}: {
  entity: Entity;
  exposure: Exposure;
  disabled: boolean;
  onChange: (want: { sees: boolean; controls: boolean }) => void;
  onAskFirst: (ask: boolean) => void;
}) {
  const now = entityExposure(exposure, entity);
  const name = entityName(entity);
  const asks = asksFirst(exposure, entity);
  return (
    <div className="flex flex-wrap gap-x-4 gap-y-1 text-sm">
      <label className="flex items-center gap-2">
        <input type="checkbox" className="checkbox checkbox-sm" checked={now.sees} disabled={disabled} onChange={(e) => onChange({ sees: e.target.checked, controls: e.target.checked && now.controls })} />
        Companion sees<span className="sr-only"> {name}</span>
      </label>
      <label className="flex items-center gap-2">
        <input
          type="checkbox"
          className="checkbox checkbox-sm"
          checked={now.controls}
          // A controllable area's entity is controlled while seen (only hiding it stops that).
          disabled={disabled || (now.areaControls && now.controls)}
          title={now.areaControls && now.controls ? 'The whole area may be controlled' : undefined}
          onChange={(e) => onChange({ sees: now.sees || e.target.checked, controls: e.target.checked })}
        />
        Companion controls<span className="sr-only"> {name}</span>
      </label>
      {/* What its kind does not tell: a garage opener that is a relay's switch, a script that unlocks. */}
      <label className="flex items-center gap-2" title="The companion runs nothing on it without your yes">
        <input type="checkbox" className="checkbox checkbox-sm" checked={asks} disabled={disabled} onChange={(e) => onAskFirst(e.target.checked)} />
        Always ask first<span className="sr-only"> for {name}</span>
      </label>
      {(now.areaSees || now.areaControls) && <span className="opacity-70">{now.areaControls ? 'whole area controlled' : 'whole area seen'}</span>}
    </div>
  );
}

function EntityCard({
  entity,
  exposure,
  busy,
  exposureBusy,
  send,
  onExposure,
  onAskFirst,
}: {
  entity: Entity;
  exposure: Exposure | null;
  busy: boolean;
  exposureBusy: boolean;
  send: (e: Entity, c: Command) => void;
  onExposure: (want: { sees: boolean; controls: boolean }) => void;
  onAskFirst: (ask: boolean) => void;
}) {
  const id = useId();
  const name = entityName(entity);
  const unavailable = isUnavailable(entity);
  return (
    <li className="card card-sm bg-base-100 shadow-sm" aria-labelledby={`${id}-name`} data-testid="entity" data-entity-id={entity.entity_id}>
      <div className="card-body gap-2">
        <div className="flex flex-wrap items-baseline gap-2">
          <h4 id={`${id}-name`} className="min-w-0 flex-1 font-medium break-words">
            {name}
          </h4>
          {(entity.security || (exposure ? asksFirst(exposure, entity) : entity.ask_first)) && <span className="badge badge-sm badge-outline">asks first</span>}
          <span className={`badge badge-sm ${unavailable ? 'badge-error badge-soft' : 'badge-ghost'}`} data-testid="entity-state">
            {unavailable ? 'unavailable' : stateLabel(entity)}
          </span>
        </div>
        {/* Devices announced without an area all land under "No area": the device tells them apart. */}
        {entity.device && entity.device !== name && (
          <p className="-mt-1 text-xs opacity-80" data-testid="entity-device">
            {entity.device}
          </p>
        )}
        <EntityControls entity={entity} busy={busy} send={send} />
        {exposure && <ExposureBoxes entity={entity} exposure={exposure} disabled={exposureBusy} onChange={onExposure} onAskFirst={onAskFirst} />}
      </div>
    </li>
  );
}

export function Devices({
  areas,
  entities,
  exposure,
  problem,
  exposureProblem,
  onCommand,
  onExposure,
}: {
  areas: Area[];
  entities: Entity[];
  exposure: Exposure | null;
  problem: string | null;
  exposureProblem: string | null;
  onCommand: (result: CommandResult) => void;
  onExposure: (exposure: Exposure) => void;
}) {
  const id = useId();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<Set<string>>(() => new Set());
  const [exposureBusy, setExposureBusy] = useState(false);
  const [pending, setPending] = useState<{ entity: Entity; command: Command } | null>(null);
  const groups = groupByArea(areas, entities);

  async function run(entity: Entity, command: Command) {
    const key = keyOf(entity);
    setError(null);
    setBusy((b) => new Set(b).add(key));
    try {
      const query = entities.filter((e) => e.entity_id === entity.entity_id).length > 1 ? `?connection=${encodeURIComponent(entity.connection_id)}` : '';
      const result = await api<CommandResult>(`/agents/v1/home/entities/${encodeURIComponent(entity.entity_id)}/commands${query}`, { body: command });
      onCommand(result);
    } catch (e) {
      setError(`${commandWords(command.action)} ${entityName(entity)} did not work: ${(e as Error).message}`);
    } finally {
      setBusy((b) => {
        const next = new Set(b);
        next.delete(key);
        return next;
      });
    }
  }

  function send(entity: Entity, command: Command) {
    if (needsConfirmation(entity, command)) setPending({ entity, command });
    else void run(entity, command);
  }

  async function changeExposure(change: (current: Exposure) => Exposure) {
    setError(null);
    setExposureBusy(true);
    try {
      const current = normaliseExposure(await api<Exposure>('/agents/v1/home/exposure'));
      const saved = await api<Exposure>('/agents/v1/home/exposure', { method: 'PUT', body: change(current) });
      onExposure(normaliseExposure(saved));
    } catch (e) {
      setError(`What the companion may see and control was not changed: ${(e as Error).message}`);
    } finally {
      setExposureBusy(false);
    }
  }

  return (
    <section aria-labelledby={`${id}-title`} className="space-y-3">
      <div>
        <h2 id={`${id}-title`} className="font-semibold">
          Devices
        </h2>
        <p className="text-sm opacity-80">
          The companion sees and controls only what you tick here. Unlocking, opening a garage and the alarm always ask you first; tick “Always ask first” for anything else that should (a garage opener wired as a switch, a script that unlocks).
        </p>
      </div>
      {error && (
        <div role="alert" className="alert alert-error alert-soft">
          <span>{error}</span>
        </div>
      )}
      {problem && (
        <div role="alert" className="alert alert-warning alert-soft">
          <span>Your devices cannot be shown: {problem}</span>
        </div>
      )}
      {exposureProblem && !exposure && <p className="text-sm text-error">What the companion may see cannot be read: {exposureProblem}</p>}
      {!problem && entities.length === 0 && <p className="text-sm opacity-80">No devices yet: they appear here once a connection has found them.</p>}
      {groups.map((group, index) => {
        const area = group.area_id && exposure ? areaExposure(exposure, group.area_id) : null;
        const areaId = group.area_id;
        return (
          <section key={group.area_id ?? ''} aria-labelledby={`${id}-area-${index}`} className="space-y-2" data-testid="area" data-area={group.name}>
            <div className="flex flex-wrap items-center gap-x-4 gap-y-1">
              <h3 id={`${id}-area-${index}`} className="flex-1 font-semibold">
                {group.name}
              </h3>
              {area && areaId && (
                <>
                  <label className="flex items-center gap-2 text-sm">
                    <input type="checkbox" className="toggle toggle-sm" checked={area.sees} disabled={exposureBusy} onChange={(e) => void changeExposure((x) => setAreaExposure(x, areaId, { sees: e.target.checked, controls: e.target.checked && area.controls }))} />
                    Companion may see all<span className="sr-only"> of {group.name}</span>
                  </label>
                  <label className="flex items-center gap-2 text-sm">
                    <input type="checkbox" className="toggle toggle-sm" checked={area.controls} disabled={exposureBusy} onChange={(e) => void changeExposure((x) => setAreaExposure(x, areaId, { sees: area.sees || e.target.checked, controls: e.target.checked }))} />
                    control all<span className="sr-only"> of {group.name}</span>
                  </label>
                </>
              )}
            </div>
            <ul className="grid gap-2 sm:grid-cols-2 xl:grid-cols-3" aria-label={`Devices in ${group.name}`}>
              {group.entities.map((entity) => (
                <EntityCard
                  key={keyOf(entity)}
                  entity={entity}
                  exposure={exposure}
                  busy={busy.has(keyOf(entity))}
                  exposureBusy={exposureBusy}
                  send={send}
                  onExposure={(want) => void changeExposure((x) => setEntityExposure(x, entity, want))}
                  onAskFirst={(ask) => void changeExposure((x) => setAskFirst(x, entity, ask))}
                />
              ))}
            </ul>
          </section>
        );
      })}
      {pending && (
        <ConfirmCommand
          key={keyOf(pending.entity) + pending.command.action}
          entity={pending.entity}
          command={pending.command}
          onCancel={() => setPending(null)}
          onConfirm={(command) => {
            const { entity } = pending;
            setPending(null);
            void run(entity, command);
          }}
        />
      )}
    </section>
  );
}
